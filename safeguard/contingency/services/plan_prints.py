"""Printed copies of a plan version, made in the background: a person asks for the PDF, a task renders it into
storage, and the copy handed out is the stored file, matched by its SHA-256.

A request is audited and enqueued when its transaction commits. The build claims the print (so a task delivered
twice renders once) and ends either DONE, with the file, its hash and the time it was ready, or FAILED with a
sentence saying what went wrong. Only a done print counts as the plan's "last printed".
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from safeguard.contingency.models import PlanPrint, PlanVersion
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

logger = logging.getLogger(__name__)

State = PlanPrint.State
UNFINISHED = (State.QUEUED, State.RUNNING)


def plan_print_request(*, organization: Organization, actor: Actor, version: PlanVersion) -> PlanPrint:
    """Queue a PDF of the version. The same person's print of it still waiting in the queue is reused."""
    if actor.user is None:
        raise ServiceError("Only a person can print a plan.")
    if version.organization_id != organization.pk:
        raise ServiceError("No such plan version in this organization.")
    with transaction.atomic():
        queued = (
            PlanPrint.objects.select_for_update()
            .filter(version=version, printed_by=actor.user, state=State.QUEUED)
            .first()
        )
        printed = queued or PlanPrint.objects.create(version=version, printed_by=actor.user)
        audit_record(
            actor=actor,
            action="contingency.plan_version.print_requested",
            organization=organization,
            target=version,
            changes={"print": [None, str(printed.public_id)]},
        )
        if queued is None:
            print_id = printed.pk
            transaction.on_commit(lambda: _enqueue(print_id))
    return printed


def plan_print_download_record(*, organization: Organization, actor: Actor, printed: PlanPrint) -> None:
    """Every copy handed out is in the audit trail: who took which print of which version, and its hash."""
    version = printed.version
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="contingency.plan_version.downloaded",
            organization=organization,
            target=version,
            changes={
                "plan": [None, str(version.plan.public_id)],
                "print": [None, str(printed.public_id)],
                "sha256": [None, printed.sha256],
            },
        )


def _enqueue(print_id: int) -> None:
    # Imported here: the task module imports this one.
    from safeguard.contingency.tasks_plans import build_plan_print

    build_plan_print.enqueue(print_id)


def plan_print_build(*, print_id: int) -> PlanPrint | None:
    """Render a queued print into storage; a print that is not queued (already taken) is left alone."""
    claimed = PlanPrint.objects.filter(pk=print_id, state=State.QUEUED).update(state=State.RUNNING)
    if not claimed:
        return None
    printed = PlanPrint.objects.select_related("version__plan__organization", "printed_by").get(pk=print_id)
    settled = False
    try:
        try:
            pdf = _render(printed)
        except (OSError, ValueError) as exc:
            logger.warning("plan print %s could not be rendered", printed.public_id, exc_info=True)
            _fail(printed, f"The PDF could not be made: {exc}")
        else:
            try:
                _store(printed, pdf)
            except OSError as exc:
                logger.warning("plan print %s could not be stored", printed.public_id, exc_info=True)
                _fail(printed, f"The PDF was made but could not be stored: {exc}")
        settled = True
    finally:
        if not settled:
            # Anything else is a bug: it propagates to the task runner's log, and the print must not stay running.
            _fail(printed, "Printing stopped unexpectedly; the error was logged. Print the plan again.")
    printed.refresh_from_db()
    return printed


def _render(printed: PlanPrint) -> bytes:
    # Imported here: WeasyPrint is slow to import and only the build needs it.
    from safeguard.contingency.plan_pdf import plan_pdf

    return plan_pdf(printed.version, Actor(user=printed.printed_by))


def _store(printed: PlanPrint, pdf: bytes) -> None:
    version = printed.version
    stored = default_storage.save(
        f"contingency-plans/{version.plan.organization.public_id}/{printed.public_id}.pdf", ContentFile(pdf)
    )
    sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        PlanPrint.objects.filter(pk=printed.pk).update(
            state=State.DONE, stored_name=stored, sha256=sha256, failure="", printed_at=timezone.now()
        )
        printed.refresh_from_db()
        audit_record(
            actor=Actor(user=printed.printed_by),
            action="contingency.plan_version.printed",
            organization=version.plan.organization,
            target=version,
            changes={
                "print": [None, str(printed.public_id)],
                "sha256": [None, sha256],
                "printed_at": [None, printed.printed_at],
            },
        )


def _fail(printed: PlanPrint, failure: str) -> None:
    PlanPrint.objects.filter(pk=printed.pk).update(state=State.FAILED, failure=failure[:2000])
