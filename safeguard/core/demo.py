"""The demo organization: people, records and history that show every part of Safeguard on first run.

Everything is written through the real services (so the audit trail and the verdicts are genuine), except the two
things no service writes: the demo people's passwords and authenticator devices, and the 60 days of dashboard
history before today (marked DEMO HISTORY below).
"""

from __future__ import annotations

from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.catalog.loader import catalog_load
from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Obligation, Organization, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from safeguard.core.services.obligations import obligation_complete, obligation_create
from safeguard.core.services.organizations import membership_add, org_create
from safeguard.tracker.models import DailySnapshot, EvaluationRun, Verdict
from safeguard.tracker.services import attestation_record, decision_record, decision_sign, evaluation_run

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Family Clinic"
DEMO_DOMAIN = "demo.safeguard.test"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (printed for newcomers; demo accounts only)
HISTORY_DAYS = 60
DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class Person:
    local: str
    first_name: str
    last_name: str
    role: str

    @property
    def email(self) -> str:
        return f"{self.local}@{DEMO_DOMAIN}"


PEOPLE = (
    Person("owner", "Olivia", "Ortega", Role.OWNER),
    Person("official", "Sam", "Okafor", Role.SECURITY_OFFICIAL),
    Person("privacy", "Priya", "Nair", Role.PRIVACY_OFFICER),
    Person("nurse", "Noah", "Fischer", Role.WORKFORCE),
    Person("auditor", "Ada", "Lindqvist", Role.AUDITOR),
)
AUDITOR_DAYS = 90

# Requirements attested as met, with the evidence file behind each: (citation, statement, evidence title, kind).
ATTESTATIONS = (
    (
        "164.308(a)(1)(ii)(A)",
        "An accurate and thorough risk analysis of all systems holding ePHI was completed and approved.",
        "Risk analysis report",
        "pdf",
    ),
    (
        "164.308(a)(1)(ii)(B)",
        "Risk treatment decisions from the risk analysis are tracked in the risk management plan.",
        "Risk management plan",
        "pdf",
    ),
    (
        "164.312(a)(2)(i)",
        "Every workforce member signs in to the EHR and workstations with a personal account; no shared logins.",
        "EHR user list export",
        "txt",
    ),
    (
        "164.312(a)(2)(ii)",
        "The break-glass procedure for EHR access during an outage is documented and was tested in March.",
        "Emergency access procedure",
        "pdf",
    ),
    ("164.312(b)", "EHR and firewall audit logs are retained for one year and reviewed weekly.", "Log review", "txt"),
    (
        "164.310(d)(2)(i)",
        "Retired disks are shredded by a certified vendor; certificates of destruction are kept.",
        "Certificate of destruction",
        "pdf",
    ),
    (
        "164.316(a)",
        "Security policies and procedures are written, approved by the owner and available to the workforce.",
        "Information security policy",
        "pdf",
    ),
)
EXPIRED_ATTESTATION = (
    "164.308(a)(6)(ii)",
    "Security incidents are identified, responded to, mitigated and documented per the incident procedure.",
)
# Attested but not yet backed by a document: partially met until evidence is attached.
UNSUPPORTED_ATTESTATION = (
    "164.310(c)",
    "Workstations that access ePHI are in staff-only areas and screens face away from the waiting room.",
)
SIGNED_DECISION = (
    "164.312(a)(2)(iii)",
    "The EHR has no configurable idle logoff.",
    "Workstations lock after 5 minutes idle by operating-system policy; badge tap unlocks.",
)
UNSIGNED_DECISION = (
    "164.310(a)(2)(iv)",
    "The landlord maintains doors and locks and keeps the repair log.",
    "We review the landlord's maintenance log quarterly and file a copy.",
)


# Domain apps add their part of the demo (assets, a risk analysis…): a function of (organization, the demo people
# by local part, today), called inside the demo's transaction after the core records and before the evaluation.
DemoExtension = Callable[[Organization, dict[str, User], date], None]
DEMO_EXTENSIONS: list[DemoExtension] = []


def demo_extension(function: DemoExtension) -> DemoExtension:
    DEMO_EXTENSIONS.append(function)
    return function


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    secret: str  # base32, as authenticator apps take it
    otpauth_url: str
    current_code: str


@dataclass(frozen=True)
class DemoResult:
    created: bool
    organization: Organization
    logins: list[DemoLogin]
    counts: dict[str, int]
    overall_percent: float


def demo_seed(*, today: date | None = None) -> DemoResult:
    """Create the demo organization once; a second call changes nothing and describes what is there."""
    today = today or timezone.localdate()
    existing = Organization.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return _describe(existing, created=False)
    if not Requirement.objects.exists():
        catalog_load()
    with transaction.atomic():
        organization = _build(today)
    return _describe(organization, created=True)


def _build(today: date) -> Organization:
    people = {p.local: _person(p) for p in PEOPLE}
    organization = org_create(
        actor=Actor.system("demo_seed"),
        slug=DEMO_SLUG,
        name=DEMO_NAME,
        owner=people["owner"],
        kind=Organization.Kind.COVERED_ENTITY,
    )
    owner = Actor(user=people["owner"])
    official = Actor(user=people["official"])
    for person in PEOPLE[1:]:
        ends = today + timedelta(days=AUDITOR_DAYS) if person.role == Role.AUDITOR else None
        membership_add(
            organization=organization, actor=owner, email=person.email, role=person.role, access_ends_on=ends
        )
    _attest(organization, official, today)
    _decide(organization, official, today)
    _obligations(organization, official, people["official"], today)
    for extend in DEMO_EXTENSIONS:
        extend(organization, people, today)
    for run in EvaluationRun.objects.filter(organization=organization, state=EvaluationRun.State.QUEUED):
        # Synchronously, so the dashboard is ready on first sign-in; the queued task then finds nothing to do.
        evaluation_run(run_id=run.pk, actor=Actor.system("demo_seed"))
    _history(organization)
    return organization


def _person(person: Person) -> User:
    user = User.objects.filter(email__iexact=person.email).first()
    if user is None:
        # Demo accounts only: a known password, so a newcomer can sign in from the printed summary.
        user = User.objects.create_user(
            email=person.email, password=DEMO_PASSWORD, first_name=person.first_name, last_name=person.last_name
        )
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        # Demo accounts only: an enrolled authenticator whose secret is printed, since MFA is required.
        TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return user


def _attest(organization: Organization, actor: Actor, today: date) -> None:
    for number, (citation, statement, title, kind) in enumerate(ATTESTATIONS):
        effective = today - timedelta(days=30 + 11 * number)
        attestation_record(
            organization=organization,
            actor=actor,
            citation=citation,
            statement=statement,
            expires_on=today + timedelta(days=300 - 10 * number),
            evidence_file=_document(title, kind, f"{DEMO_NAME}: {statement}", effective),
            evidence_title=title,
            evidence_effective_date=effective,
        )
    citation, statement = EXPIRED_ATTESTATION
    # Recorded as it was a year ago: it lapsed five weeks before today.
    attestation_record(
        organization=organization,
        actor=actor,
        citation=citation,
        statement=statement,
        expires_on=today - timedelta(days=35),
        today=today - timedelta(days=400),
    )
    citation, statement = UNSUPPORTED_ATTESTATION
    attestation_record(
        organization=organization,
        actor=actor,
        citation=citation,
        statement=statement,
        expires_on=today + timedelta(days=180),
    )


def _decide(organization: Organization, actor: Actor, today: date) -> None:
    citation, rationale, alternative = SIGNED_DECISION
    decision = decision_record(
        organization=organization,
        actor=actor,
        citation=citation,
        decision="alternative",
        rationale=rationale,
        alternative_measure=alternative,
        review_on=today + timedelta(days=365),
    )
    decision_sign(organization=organization, actor=actor, decision=decision)
    citation, rationale, alternative = UNSIGNED_DECISION
    decision_record(
        organization=organization,
        actor=actor,
        citation=citation,
        decision="alternative",
        rationale=rationale,
        alternative_measure=alternative,
        review_on=today + timedelta(days=365),
    )


def _obligations(organization: Organization, actor: Actor, owner: User, today: date) -> None:
    duties = (
        ("Annual risk analysis", "164.308(a)(1)(ii)(A)", Cadence.ANNUAL, today + timedelta(days=20)),
        ("Quarterly access review", "164.308(a)(4)(ii)(C)", Cadence.QUARTERLY, today - timedelta(days=5)),
        ("Annual policy review", "164.316(b)(2)(iii)", Cadence.ANNUAL, today + timedelta(days=140)),
        ("Quarterly restore test", "164.308(a)(7)(ii)(D)", Cadence.QUARTERLY, today - timedelta(days=2)),
    )
    created: dict[str, Obligation] = {}
    for title, citation, cadence, due_on in duties:
        created[title] = obligation_create(
            organization=organization,
            actor=actor,
            title=title,
            owner=owner,
            due_on=due_on,
            cadence=cadence,
            citation=citation,
        )
    report = evidence_upload(
        organization=organization,
        actor=actor,
        title="Restore test report",
        upload=_document("Restore test report", "txt", "Restored the EHR backup to a spare server in 47 min.", today),
        effective_date=today,
    )
    obligation_complete(
        organization=organization,
        actor=actor,
        obligation=created["Quarterly restore test"],
        note="Restored last night's EHR backup to the spare server; all records opened.",
        evidence=report,
        today=today,
    )


def _history(organization: Organization) -> None:
    """DEMO HISTORY: invented snapshots for the 60 days before the real one, rising toward its figure. The real one
    is the evaluation's, dated by its own clock: tomorrow's when the seed ran across midnight."""
    final = DailySnapshot.objects.filter(organization=organization).latest("day")
    rows = []
    for days_ago in range(HISTORY_DAYS, 0, -1):
        share = 0.3 + 0.7 * (HISTORY_DAYS - days_ago) / HISTORY_DAYS
        wobble = ((days_ago * 7) % 5 - 2) / 100  # a little day-to-day noise, deterministic
        factor = max(0.0, min(1.0, share + wobble))
        counts = dict(final.counts)
        met = round(final.counts.get("met", 0) * factor)
        counts["unknown"] = final.counts.get("unknown", 0) + final.counts.get("met", 0) - met
        counts["met"] = met
        rows.append(
            DailySnapshot(
                organization=organization,
                day=final.day - timedelta(days=days_ago),
                overall_percent=round(final.overall_percent * factor, 1),
                by_safeguard={k: None if v is None else round(v * factor, 1) for k, v in final.by_safeguard.items()},
                counts=counts,
            )
        )
    DailySnapshot.objects.bulk_create(rows, ignore_conflicts=True)


def _document(title: str, kind: str, text: str, effective: date) -> SimpleUploadedFile:
    lines = [title, f"{DEMO_NAME} - effective {effective:%Y-%m-%d}", text, "Demo document generated by demo_seed."]
    slug = title.lower().replace(" ", "-")
    if kind == "pdf":
        return SimpleUploadedFile(f"{slug}.pdf", tiny_pdf(lines), content_type="application/pdf")
    return SimpleUploadedFile(f"{slug}.txt", ("\n".join(lines) + "\n").encode(), content_type="text/plain")


def tiny_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF showing `lines` in Helvetica (ASCII text; parentheses and backslashes escaped)."""

    def escape(text: str) -> str:
        ascii_text = text.encode("ascii", "replace").decode()
        return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 12 Tf 72 740 Td 16 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{content}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _describe(organization: Organization, *, created: bool) -> DemoResult:
    order = {person.email: index for index, person in enumerate(PEOPLE)}
    roles = {
        m.user_id: m.get_role_display()
        for m in Membership.objects.filter(organization=organization, user__email__in=list(order))
    }
    devices = TOTPDevice.objects.filter(user_id__in=list(roles), confirmed=True).select_related("user")
    logins = {}
    for device in devices:
        code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        logins[device.user.email] = DemoLogin(
            email=device.user.email,
            role=roles[device.user_id],
            secret=b32encode(device.bin_key).decode(),
            otpauth_url=device.config_url,
            current_code=f"{code:0{device.digits}d}",
        )
    counts = {status: 0 for status in ("met", "partially_met", "not_met", "not_applicable", "unknown")}
    for row in Verdict.objects.filter(organization=organization).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    latest = DailySnapshot.objects.filter(organization=organization).order_by("-day").first()
    return DemoResult(
        created,
        organization,
        [logins[email] for email in sorted(logins, key=order.__getitem__)],
        counts,
        latest.overall_percent if latest else 0.0,
    )
