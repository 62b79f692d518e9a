"""Reads of acknowledgements shared by pages, checks, the chore and the API.

A document is addressed to the current people (active or on leave) of its roster audience, as the roster stands
now: someone who moves into the audience is asked by the next daily run, someone who moves out no longer owes it.
Only the published version of a document that is not retired is current. Each person's state for a version is
acknowledged, pending (not yet, due date ahead or not asked yet), overdue (past the due date of their request) or,
for a superseded version, missed (it was replaced before they acknowledged it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from django.db.models import Case, CharField, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.training.audiences import current_people, roster_audience
from safeguard.training.checks_common import whole_percent
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest, AudienceKind
from safeguard.workforce.models import Person

PUBLISHED = AckDocumentVersion.Status.PUBLISHED


class AckState:
    ACKNOWLEDGED = "acknowledged"
    PENDING = "pending"
    OVERDUE = "overdue"
    MISSED = "missed"

    choices = (
        (ACKNOWLEDGED, "Acknowledged"),
        (PENDING, "Pending"),
        (OVERDUE, "Overdue"),
        (MISSED, "Not acknowledged before it was superseded"),
    )
    labels = dict(choices)
    ENDED = (ACKNOWLEDGED, MISSED)  # the states of a version that is no longer current


# ---- who a document is addressed to ----------------------------------------------------------------------------


def in_audience(person: Person, kind: str, values: list[str]) -> bool:
    """The same rule as audiences.roster_filter, for one person already loaded (case-insensitive names)."""
    if person.status not in (Person.Status.ACTIVE, Person.Status.LEAVE) or person.scim_deleted:
        return False
    if kind == AudienceKind.EVERYONE:
        return True
    if kind == AudienceKind.WORKER_TYPE:
        return person.worker_type in values
    held = person.department if kind == AudienceKind.DEPARTMENT else person.job_role
    return held.lower() in {value.lower() for value in values}


def addressed_to(document: AckDocument, person: Person) -> bool:
    return in_audience(person, document.audience, list(document.audience_values))


def audience_people(document: AckDocument) -> QuerySet[Person]:
    return roster_audience(document.organization, document.audience, list(document.audience_values))


def current_versions(organization: Organization) -> QuerySet[AckDocumentVersion]:
    """The published version of every document that is not retired."""
    return AckDocumentVersion.objects.filter(
        organization=organization, status=PUBLISHED, document__retired_at__isnull=True
    ).select_related("document")


def current_version(document: AckDocument) -> AckDocumentVersion | None:
    return document.versions.filter(status=PUBLISHED).first()


def addressed_version(organization: Organization, person: Person, public_id: str | UUID) -> AckDocumentVersion | None:
    """A version this person may open from "My training": the current version of a document addressed to them, or
    one they acknowledged. None otherwise (the caller answers 404)."""
    version = (
        AckDocumentVersion.objects.filter(organization=organization, public_id=public_id)
        .select_related("document")
        .first()
    )
    if version is None or version.status == AckDocumentVersion.Status.DRAFT:
        return None
    if Acknowledgement.objects.filter(version=version, person=person).exists():
        return version
    if version.status != PUBLISHED or version.document.retired_at is not None:
        return None
    return version if addressed_to(version.document, person) else None


def person_by_reference(organization: Organization, reference: str, *, field: str = "person") -> Person:
    """A roster person by public id, employee id or work email (one that only one person has)."""
    text = reference.strip()
    people = Person.objects.filter(organization=organization)
    try:
        found = people.filter(public_id=UUID(text)).first()
    except ValueError:
        found = people.filter(employee_id__iexact=text).first()
        if found is None and "@" in text:
            matches = list(people.filter(email__iexact=text).order_by("pk")[:2])
            found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ServiceError(f"Nobody on the roster has the employee id or work email {text!r}.", field=field)
    return found


# ---- a person's own documents ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyAck:
    version: AckDocumentVersion
    state: str
    due_on: date | None
    acknowledged_at: datetime | None
    method: str

    @property
    def document(self) -> AckDocument:
        return self.version.document

    @property
    def state_label(self) -> str:
        return AckState.labels[self.state]

    @property
    def method_label(self) -> str:
        return str(Acknowledgement.Method(self.method).label) if self.method else ""


def my_acknowledgements(organization: Organization, person: Person, today: date | None = None) -> list[MyAck]:
    """What this person must acknowledge (and has), for their "My training" page: the current version of each
    document addressed to them, overdue first, then pending, then acknowledged. Three queries."""
    today = today or timezone.localdate()
    versions = list(current_versions(organization).order_by("document__title", "pk"))
    ids = [version.pk for version in versions]
    due = dict(AckRequest.objects.filter(person=person, version_id__in=ids).values_list("version_id", "due_on"))
    acks = {
        version_id: (at, method)
        for version_id, at, method in Acknowledgement.objects.filter(person=person, version_id__in=ids).values_list(
            "version_id", "acknowledged_at", "method"
        )
    }
    rows = []
    for version in versions:
        if version.pk in acks:
            at, method = acks[version.pk]
            rows.append(MyAck(version, AckState.ACKNOWLEDGED, due.get(version.pk), at, method))
        elif addressed_to(version.document, person):
            due_on = due.get(version.pk)
            state = AckState.OVERDUE if due_on is not None and due_on < today else AckState.PENDING
            rows.append(MyAck(version, state, due_on, None, ""))
    order = {AckState.OVERDUE: 0, AckState.PENDING: 1, AckState.ACKNOWLEDGED: 2}
    return sorted(rows, key=lambda row: order[row.state])


# ---- the program's lists -----------------------------------------------------------------------------------------


def document_rows(organization: Organization) -> QuerySet[AckDocument]:
    """Documents with their current version's number and publication, how many people were asked to acknowledge
    it and how many did: one query whatever the number of documents."""
    current = AckDocumentVersion.objects.filter(document=OuterRef("pk"), status=PUBLISHED)
    asked = (
        AckRequest.objects.filter(version__document=OuterRef("pk"), version__status=PUBLISHED)
        .order_by()
        .values("version__document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    done = (
        Acknowledgement.objects.filter(version__document=OuterRef("pk"), version__status=PUBLISHED)
        .order_by()
        .values("version__document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        AckDocument.objects.filter(organization=organization)
        .select_related("topic")
        .annotate(
            current_public_id=Subquery(current.values("public_id")[:1]),
            current_number=Subquery(current.values("number")[:1]),
            current_published_at=Subquery(current.values("published_at")[:1]),
            asked=Subquery(asked[:1]),
            acknowledged=Subquery(done[:1]),
        )
        .order_by(Lower("title"), "pk")
    )


def version_rows(document: AckDocument) -> QuerySet[AckDocumentVersion]:
    """Each version of a document, newest first, with how many were asked and acknowledged."""
    asked = AckRequest.objects.filter(version=OuterRef("pk")).order_by().values("version").annotate(n=Count("pk"))
    done = Acknowledgement.objects.filter(version=OuterRef("pk")).order_by().values("version").annotate(n=Count("pk"))
    return (
        document.versions.select_related("published_by", "file")
        .annotate(asked=Subquery(asked.values("n")[:1]), acknowledged=Subquery(done.values("n")[:1]))
        .order_by("-number")
    )


def status_people(version: AckDocumentVersion) -> QuerySet[Person]:
    """Whom a version's status list is about: for the current version, the people of the document's audience today;
    for a superseded one, the people who were asked or acknowledged it; for a draft, nobody."""
    if version.status == AckDocumentVersion.Status.DRAFT:
        return Person.objects.none()
    if version.status == PUBLISHED and version.document.retired_at is None:
        return audience_people(version.document)
    asked = AckRequest.objects.filter(version=version).values("person_id")
    signed = Acknowledgement.objects.filter(version=version).values("person_id")
    return Person.objects.filter(organization_id=version.organization_id).filter(Q(pk__in=asked) | Q(pk__in=signed))


def status_rows(version: AckDocumentVersion, today: date) -> QuerySet[Person]:
    """The people of status_people(version), each annotated with `acknowledged_at`, `ack_method`, `due_on` (of
    their request, None when not asked yet) and `ack_state` (an AckState value)."""
    ack = Acknowledgement.objects.filter(version=version, person=OuterRef("pk"))
    request = AckRequest.objects.filter(version=version, person=OuterRef("pk"))
    unacknowledged = (
        When(due_on__lt=today, then=Value(AckState.OVERDUE))
        if version.status == PUBLISHED
        else When(pk__isnull=False, then=Value(AckState.MISSED))
    )
    return status_people(version).annotate(
        acknowledged_at=Subquery(ack.values("acknowledged_at")[:1]),
        ack_method=Subquery(ack.values("method")[:1]),
        due_on=Subquery(request.values("due_on")[:1]),
        ack_state=Case(
            When(acknowledged_at__isnull=False, then=Value(AckState.ACKNOWLEDGED)),
            unacknowledged,
            default=Value(AckState.PENDING),
            output_field=CharField(),
        ),
    )


def filter_status(rows: QuerySet[Person], *, ack_state: str = "", department: str = "") -> QuerySet[Person]:
    if ack_state:
        rows = rows.filter(Q(ack_state=ack_state))  # an annotation of status_rows
    if department:
        rows = rows.filter(department__iexact=department)
    return rows


@dataclass(frozen=True)
class StatusCounts:
    total: int
    acknowledged: int
    pending: int
    overdue: int
    missed: int

    @property
    def rate(self) -> float | None:
        """The share acknowledged, 0 to 1; None when nobody is addressed."""
        return self.acknowledged / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        # The tracker's rounding (down, in integers): int(0.29 * 100) would read 28%.
        return whole_percent(self.acknowledged, self.total)


def status_counts(rows: QuerySet[Person]) -> StatusCounts:
    """How many of `rows` (status_rows, filtered or not) are in each state: one query."""
    found = rows.aggregate(
        total=Count("pk"),
        **{state: Count("pk", filter=Q(ack_state=state)) for state, _ in AckState.choices},
    )
    return StatusCounts(
        total=found["total"],
        acknowledged=found[AckState.ACKNOWLEDGED],
        pending=found[AckState.PENDING],
        overdue=found[AckState.OVERDUE],
        missed=found[AckState.MISSED],
    )


def department_choices(organization: Organization) -> list[str]:
    """The departments of the current people, each spelling once (case-insensitively), sorted."""
    seen: dict[str, str] = {}
    names = current_people(organization).exclude(department="").values_list("department", flat=True).distinct()
    for name in names.order_by("department"):
        seen.setdefault(name.lower(), name)
    return sorted(seen.values(), key=str.lower)
