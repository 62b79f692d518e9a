"""One workforce and access record of each kind, made straight through the ORM, for tests that need a record to
point at (the MFA sweep, authorization matrices). Services have their own tests; these rows only have to exist."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from safeguard.access.models import (
    AccessException,
    Account,
    AccountSnapshot,
    BreakGlassAccount,
    BreakGlassActivation,
    Classification,
    ReviewCampaign,
    ReviewItem,
    RoleProfile,
    System,
)
from safeguard.core.models import FileImport, Organization, User
from safeguard.risk.models import Asset, AssetKind
from safeguard.workforce.models import IssuedItem, Person, RosterSource, ScimToken, Workflow, WorkflowTask


def access_records(organization: Organization, user: User) -> dict[str, str]:
    """Route parameter name → public id of a workforce or access record of that kind in `organization`."""
    now = timezone.now()
    person = Person.objects.create(
        organization=organization, employee_id="E-1", given_name="Dana", family_name="Reyes", email=user.email
    )
    source = RosterSource.objects.create(organization=organization, name="HR export")
    item = IssuedItem.objects.create(organization=organization, person=person, kind=IssuedItem.Kind.BADGE, label="B-7")
    workflow = Workflow.objects.create(organization=organization, person=person, kind=Workflow.Kind.JOINER, trigger="t")
    task = WorkflowTask.objects.create(
        organization=organization, workflow=workflow, kind=WorkflowTask.Kind.AUTHORIZE, title="Authorize", assignee=user
    )
    token = ScimToken.objects.create(
        organization=organization, name="IdP", prefix="scim_abc", key_hash="f" * 64, created_by=user
    )
    asset = Asset.objects.create(organization=organization, name="Billing", kind=AssetKind.APPLICATION, owner=user)
    system = System.objects.create(organization=organization, asset=asset)
    snapshot = AccountSnapshot.objects.create(
        organization=organization, system=system, taken_at=now, file_name="billing.csv", sha256="0" * 64
    )
    account = Account.objects.create(
        organization=organization,
        system=system,
        snapshot=snapshot,
        username="dreyes",
        person=person,
        classification=Classification.PERSON,
    )
    profile = RoleProfile.objects.create(organization=organization, name="Billing clerk", job_role="Clerk")
    exception = AccessException.objects.create(
        organization=organization,
        person=person,
        system=system,
        role="refunds",
        justification="Month end",
        expires_on=timezone.localdate() + timedelta(days=30),
        requested_by=user,
    )
    review = ReviewCampaign.objects.create(
        organization=organization,
        title="Q4 access review",
        status=ReviewCampaign.Status.OPEN,
        roster_as_of=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=14),
        started_by=user,
        item_count=1,
    )
    review_item = ReviewItem.objects.create(
        organization=organization,
        campaign=review,
        system=system,
        account=account,
        username=account.username,
        status=account.status,
        classification=account.classification,
        person=person,
        reviewer=user,
    )
    breakglass = BreakGlassAccount.objects.create(
        organization=organization, system=system, username="emergency1", purpose="EHR downtime"
    )
    activation = BreakGlassActivation.objects.create(
        organization=organization,
        account=breakglass,
        used_by=person,
        started_at=now - timedelta(hours=2),
        reason="Code blue, login failed",
        recorded_by=user,
        review_due_at=now + timedelta(hours=22),
    )
    stored = default_storage.save("imports/sweep-roster.csv", ContentFile(b"employee_id,email\nE-2,a@b.test\n"))
    file_import = FileImport.objects.create(
        organization=organization,
        kind="workforce.roster",
        options={"source": str(source.public_id)},
        file_name="roster.csv",
        file_format="csv",
        sha256="0" * 64,
        stored_name=stored,
        headers=["employee_id", "email"],
        created_by=user,
    )
    return {
        "person_id": str(person.public_id),
        "source_id": str(source.public_id),
        "issued_item_id": str(item.public_id),
        "workflow_id": str(workflow.public_id),
        "task_id": str(task.public_id),
        "token_id": str(token.public_id),
        "system_id": str(system.public_id),
        "snapshot_id": str(snapshot.public_id),
        "account_id": str(account.public_id),
        "profile_id": str(profile.public_id),
        "exception_id": str(exception.public_id),
        "review_id": str(review.public_id),
        "item_id": str(review_item.public_id),
        "breakglass_id": str(breakglass.public_id),
        "activation_id": str(activation.public_id),
        "file_import_id": str(file_import.public_id),
    }
