"""Nobody approves their own access: a member who is the workflow's person cannot complete its authorization or
clearance, nor waive its steps, and an authorization entered by hand names someone else as approver and is
entered by someone else. The person is found as a Safeguard member by email (queries.user_for_person)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Authorization, Clearance, Workflow, WorkflowTask
from safeguard.workforce.services.tasks import authorization_enter, task_complete, task_waive
from tests import access_factories as factories
from tests.conftest import Cast, client_for
from tests.test_workflows_support import TaskKind, actor, joiner, task_of

Status = WorkflowTask.Status
OFFICIAL_EMAIL = "so@clinic.test"  # the cast's security official: manages the program and signs waivers


def own_joiner(cast: Cast) -> Workflow:
    """The security official joins the roster: a joiner workflow whose person is a program manager."""
    ehr = factories.system(cast.org, "EHR")
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=True)
    return joiner(cast, email=OFFICIAL_EMAIL.upper())  # emails match whatever their case


def test_the_person_cannot_authorize_their_own_access(cast: Cast) -> None:
    workflow = own_joiner(cast)
    task = task_of(workflow, TaskKind.AUTHORIZE)
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        task_complete(organization=cast.org, actor=actor(cast.official), task=task)

    assert refused.value.message == (
        "You cannot authorize your own access to ePHI: your manager or another program manager must approve it."
    )
    assert task_of(workflow, TaskKind.AUTHORIZE).status == Status.OPEN
    assert not Authorization.objects.exists()
    assert AuditEvent.objects.count() == before


def test_someone_else_authorizes_the_persons_access(cast: Cast) -> None:
    workflow = own_joiner(cast)

    done = task_complete(organization=cast.org, actor=actor(cast.owner), task=task_of(workflow, TaskKind.AUTHORIZE))

    assert done.status == Status.DONE
    assert Authorization.objects.get(person=workflow.person).authorized_by == cast.owner


def test_the_person_cannot_record_their_own_clearance(cast: Cast) -> None:
    workflow = own_joiner(cast)

    with pytest.raises(ServiceError) as refused:
        task_complete(
            organization=cast.org,
            actor=actor(cast.official),
            task=task_of(workflow, TaskKind.CLEARANCE),
            clearance_result="passed",
            completed_on=timezone.localdate(),
        )

    assert refused.value.message == "You cannot record your own clearance: someone else must complete this task."
    assert task_of(workflow, TaskKind.CLEARANCE).status == Status.OPEN
    assert not Clearance.objects.exists()


def test_the_person_still_completes_their_own_acknowledgements(cast: Cast) -> None:
    workflow = own_joiner(cast)

    done = task_complete(
        organization=cast.org, actor=actor(cast.official), task=task_of(workflow, TaskKind.ACK_SANCTION)
    )

    assert done.status == Status.DONE


def test_the_person_cannot_waive_their_own_training(cast: Cast) -> None:
    workflow = own_joiner(cast)
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        task_waive(
            organization=cast.org,
            actor=actor(cast.official),
            task=task_of(workflow, TaskKind.TRAINING),
            reason="I know the material.",
        )

    title = task_of(workflow, TaskKind.TRAINING).title
    assert refused.value.message == (
        f"You cannot waive “{title}”: it is about you, so another security official or an owner must approve the "
        "exception."
    )
    assert task_of(workflow, TaskKind.TRAINING).status == Status.OPEN
    assert AuditEvent.objects.count() == before


def test_an_owner_waives_the_officials_training(cast: Cast) -> None:
    workflow = own_joiner(cast)

    waived = task_waive(
        organization=cast.org,
        actor=actor(cast.owner),
        task=task_of(workflow, TaskKind.TRAINING),
        reason="Emergency cover; training booked.",
    )

    assert waived.status == Status.WAIVED


@pytest.mark.parametrize(
    ("who", "approver", "field", "message"),
    [
        (
            "owner",
            "official",
            "authorized_by",
            "Name someone other than Dana Reyes E-100 as the approver: nobody authorizes their own access.",
        ),
        (
            "official",
            "owner",
            None,
            "You cannot record an authorization of your own access: another program manager must enter it.",
        ),
    ],
)
def test_an_authorization_by_hand_is_not_about_the_approver_or_the_one_entering_it(
    cast: Cast, who: str, approver: str, field: str | None, message: str
) -> None:
    workflow = own_joiner(cast)

    with pytest.raises(ServiceError) as refused:
        authorization_enter(
            organization=cast.org,
            actor=actor(getattr(cast, who)),
            person=workflow.person,
            authorized_by=getattr(cast, approver),
            authorized_on=date(2024, 2, 1),
            note="Paper form.",
        )

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not Authorization.objects.exists()


def test_the_page_offers_the_person_no_form_to_authorize_or_waive_their_own_steps(cast: Cast) -> None:
    workflow = own_joiner(cast)
    authorize = task_of(workflow, TaskKind.AUTHORIZE)
    page = reverse("workforce:task_detail", args=["clinic", authorize.public_id])

    as_person = client_for(cast.official).get(page)
    as_owner = client_for(cast.owner).get(page)

    assert (as_person.context["complete_form"], as_person.context["waive_form"]) == (None, None)
    assert as_owner.context["complete_form"] is not None and as_owner.context["waive_form"] is not None


def test_posting_the_persons_own_authorization_shows_the_refusal(cast: Cast) -> None:
    workflow = own_joiner(cast)
    authorize = task_of(workflow, TaskKind.AUTHORIZE)

    response = client_for(cast.official).post(
        reverse("workforce:task_complete", args=["clinic", authorize.public_id]), {"note": "Me."}
    )

    assert response.status_code == 200
    assert "You cannot authorize your own access to ePHI" in response.content.decode()
    assert task_of(workflow, TaskKind.AUTHORIZE).status == Status.OPEN
