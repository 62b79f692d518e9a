"""One contingency record of each kind, made straight through the ORM, for tests that need a record to point at
(the MFA sweep). Services have their own tests; these rows only have to exist and be consistent."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from safeguard.contingency.models import (
    AssetDependency,
    BackupHookToken,
    BackupImport,
    BackupPolicy,
    ContingencyPlan,
    CorrectiveAction,
    CriticalityApproval,
    EmergencyActivation,
    Exercise,
    PlanKind,
    PlanPrint,
    PlanVersion,
    RecoveryProfile,
    RestoreOutcome,
    RestoreTest,
    VendorRecovery,
)
from safeguard.contingency.queries_criticality import analysis_content
from safeguard.core.models import Organization, Signature, User
from safeguard.risk.models import Asset, AssetKind


def contingency_records(organization: Organization, user: User) -> dict[str, str]:
    """ "contingency_" + route parameter name → the public id of a record of that kind; also
    "contingency_unprofiled_asset_id", an asset without a recovery profile (the profile form's route)."""
    now = timezone.now()
    today = timezone.localdate()
    ehr, network, fax = (
        Asset.objects.create(organization=organization, name=name, kind=AssetKind.APPLICATION, owner=user)
        for name in ("Sweep EHR", "Sweep network", "Sweep fax")
    )
    for target, tier in ((ehr, 1), (network, 2)):
        RecoveryProfile.objects.create(
            organization=organization,
            asset=target,
            tier=tier,
            business_functions="Charting",
            mtd_minutes=480,
            rto_minutes=240,
            rpo_minutes=60,
        )
    AssetDependency.objects.create(organization=organization, asset=ehr, depends_on=network)
    signature = Signature.objects.create(
        organization=organization,
        signer=user,
        signer_role="owner",
        meaning=Signature.Meaning.APPROVED,
        target_type="contingency.criticality",
        target_id=str(organization.pk),
        content_sha256="0" * 64,
    )
    approval = CriticalityApproval.objects.create(
        organization=organization,
        signature=signature,
        approved_by=user,
        content=analysis_content(organization),
        content_sha256="0" * 64,
        next_review_on=today + timedelta(days=365),
    )
    policy = BackupPolicy.objects.create(
        organization=organization,
        asset=ehr,
        job_name="nightly",
        method="full",
        schedule="daily 01:00",
        retention_days=30,
        encrypted_at_rest=True,
        immutable_copy=True,
        offline_copy=False,
    )
    batch = BackupImport.objects.create(organization=organization, channel=BackupImport.Channel.API, created_by=user)
    token = BackupHookToken.objects.create(
        organization=organization, name="Sweep backup tool", prefix="sgb_sweep", key_hash="0" * 64, created_by=user
    )
    restore = RestoreTest.objects.create(
        organization=organization,
        asset=ehr,
        performed_by=user,
        restore_point_at=now - timedelta(hours=3),
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=1),
        succeeded=True,
        integrity_verified=True,
        integrity_method="Row counts",
        rto_minutes=240,
        rpo_minutes=60,
        rto_met=True,
        rpo_met=False,
        outcome=RestoreOutcome.MISSED,
        recorded_by=user,
    )
    action = CorrectiveAction.objects.create(
        organization=organization,
        origin=CorrectiveAction.Origin.RESTORE_TEST,
        restore_test=restore,
        asset=ehr,
        title="Take hourly snapshots",
        owner=user,
        due_on=today + timedelta(days=30),
        created_by=user,
    )
    plan = ContingencyPlan.objects.create(organization=organization, kind=PlanKind.DISASTER_RECOVERY, title="Sweep DR")
    version = PlanVersion.objects.create(
        organization=organization,
        plan=plan,
        number=1,
        activation_criteria="The EHR is down for an hour.",
        manual_procedures="Paper charts.",
        return_criteria="The EHR is back and checked.",
        created_by=user,
    )
    version.covered_assets.add(ehr)
    printed = PlanPrint.objects.create(
        version=version,
        printed_by=user,
        state=PlanPrint.State.DONE,
        printed_at=now,
        stored_name=default_storage.save("contingency-plans/sweep.pdf", ContentFile(b"%PDF-1.7 sweep")),
        sha256="0" * 64,
    )
    activation = EmergencyActivation.objects.create(
        organization=organization, title="Sweep outage", reason="Power", started_at=now, recorded_by=user
    )
    exercise = Exercise.objects.create(
        organization=organization,
        kind=Exercise.Kind.TABLETOP,
        title="Sweep tabletop",
        scenario="Ransomware",
        held_on=today,
        timeline=[{"id": "sweepentry01", "at": now.isoformat(), "entry": "Started"}],
        recorded_by=user,
    )
    vendor = VendorRecovery.objects.create(organization=organization, asset=ehr, business_associate="Sweep EHR Inc.")
    return {
        "contingency_asset_id": str(ehr.public_id),
        "contingency_depends_on_id": str(network.public_id),
        "contingency_unprofiled_asset_id": str(fax.public_id),
        "contingency_profile_id": str(RecoveryProfile.objects.get(asset=ehr).public_id),
        "contingency_approval_id": str(approval.public_id),
        "contingency_policy_id": str(policy.public_id),
        "contingency_import_id": str(batch.public_id),
        "contingency_token_id": str(token.public_id),
        "contingency_test_id": str(restore.public_id),
        "contingency_action_id": str(action.public_id),
        "contingency_plan_id": str(plan.public_id),
        "contingency_version_id": str(version.public_id),
        "contingency_print_id": str(printed.public_id),
        "contingency_activation_id": str(activation.public_id),
        "contingency_exercise_id": str(exercise.public_id),
        "contingency_entry_id": "sweepentry01",
        "contingency_record_id": str(vendor.public_id),
    }
