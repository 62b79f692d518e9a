"""The daily acknowledgements chore, for every organization:

1. an approved sanction policy with no published mirror (approved before the training app existed) is published;
2. people who joined a document's audience since its current version was published (new hires, movers) are asked;
3. request emails not sent yet (new requests, or a send that failed) go out;
4. one reminder goes to each person whose request is past its due date and still unacknowledged.

Idempotent: requests are made once per person and version, and each email is stamped when sent. A dry run writes
and sends nothing, and says what it would do.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.chores import daily_chore
from safeguard.risk.models import SanctionPolicy
from safeguard.training.models import AckDocumentVersion
from safeguard.training.queries_acks import audience_people
from safeguard.training.services.ack_documents import ack_requests_create, version_name
from safeguard.training.services.ack_emails import Sent, ack_emails_send, due_emails
from safeguard.training.services.acknowledgements import sanction_policy_sync

SCHEDULER = Actor.system("scheduler")


def _mirror_sanction_policies(dry_run: bool) -> list[str]:
    unmirrored = (
        SanctionPolicy.objects.filter(status=SanctionPolicy.Status.APPROVED, ack_version__isnull=True)
        .select_related("organization")
        .order_by("organization__slug")
    )
    lines = []
    for policy in unmirrored:
        where = f"{policy.organization.slug}: sanction policy v{policy.version}"
        if dry_run:
            lines.append(f"{where} would be published for acknowledgement")
        elif sanction_policy_sync(organization=policy.organization, actor=SCHEDULER) is not None:
            lines.append(f"{where} published for acknowledgement")
    return lines


def _would(version: AckDocumentVersion, today: date) -> list[str]:
    asked = version.requests.values("person_id")
    signed = version.acknowledgements.values("person_id")
    new = audience_people(version.document).exclude(pk__in=asked).exclude(pk__in=signed).count()
    emails = due_emails(version, "request", today).count()
    reminders = due_emails(version, "reminder", today).count()
    parts = [
        f"ask {new} more people" if new else "",
        f"email {emails} requests" if emails else "",
        f"remind {reminders} people" if reminders else "",
    ]
    return [", ".join(part for part in parts if part)] if any(parts) else []


def _sent_text(what: str, outcome: Sent) -> str:
    parts = [
        f"{what} {outcome.sent}" if outcome.sent else "",
        f"{outcome.no_email} without an email address" if outcome.no_email else "",
        "a send failed; the rest will be tried on the next run" if outcome.failed else "",
    ]
    return ", ".join(part for part in parts if part)


def _run(version: AckDocumentVersion, today: date) -> list[str]:
    now = timezone.now()
    asked = ack_requests_create(
        organization=version.organization, actor=SCHEDULER, version=version, today=today, now=now
    )
    emailed = ack_emails_send(actor=SCHEDULER, version=version, kind="request", today=today, now=now)
    reminded = (
        Sent()
        if emailed.failed
        else ack_emails_send(actor=SCHEDULER, version=version, kind="reminder", today=today, now=now)
    )
    parts = [
        f"asked {len(asked)} more people" if asked else "",
        _sent_text("emailed", emailed),
        _sent_text("reminded", reminded),
    ]
    return [", ".join(part for part in parts if part)] if any(parts) else []


@daily_chore("training.acknowledgements")
def acknowledgements_chore(today: date, dry_run: bool) -> list[str]:
    """Mirror unpublished sanction policies, ask newcomers, send due emails and reminders (idempotent)."""
    lines = _mirror_sanction_policies(dry_run)
    versions = (
        AckDocumentVersion.objects.filter(status=AckDocumentVersion.Status.PUBLISHED, document__retired_at__isnull=True)
        .select_related("document__organization", "organization")
        .order_by("organization__slug", "document__title", "pk")
    )
    for version in versions:
        done = _would(version, today) if dry_run else _run(version, today)
        prefix = f"{version.organization.slug}: {version_name(version)}: {'would ' if dry_run else ''}"
        lines += [prefix + line for line in done]
    return lines
