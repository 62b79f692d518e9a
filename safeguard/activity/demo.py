"""The activity review part of the demo organization: two to three weeks of the EHR's, the identity provider's and
the VPN's logs, read through the ingestion service, evaluated by the HIPAA rule pack, triaged and reviewed, in the
order it happened. M is this week's Monday; the other days are counted back from today.

What happened:
- M-14: the official adds three log sources: the EHR access log (CSV export, linked to the EHR of the risk
  inventory, reviewed weekly by the official), Okta (reviewed weekly) and the firewall's VPN (syslog, not reviewed).
  He links the clinic's directory logins (jsantos…) to the roster, records Amir Haddad's old VPN profile name, Grace
  Kim's night shift and the workstations, imports the privacy office's patient flags (three VIPs, a sealed record,
  two staff members' own charts, and a Mr. Weber), installs the rule pack and sets the high-severity path.
- Every working day since: the workforce signs in to Okta and opens charts during their shift; the physicians and
  IT use the VPN in the afternoon. The weekly exports are read as one file a week per source: three, or two
  early in a week (this week's working days start today, the VPN's data stops two days ago).
- About 16 and 9 days ago: Dr. Haddad, then Kevin O'Brien of billing, open a VIP's chart (Dr. Haddad treats her;
  Kevin had no reason: escalated into an incident). About 13 days ago Tom Nguyen opens his own chart; about 6 days
  ago Hannah Weber opens Mr. Weber's (no relation). About 5 days ago the EHR's single sign-on is down and the
  break-glass account opens two charts; the alert records the use, which the official reviews that afternoon.
- 11 days ago, the evening after she left, Julia Santos opens four of her patients' charts from home (her EHR
  account was disabled 31 hours after she left): after-termination and after-hours alerts, closed as benign.
- 2 days ago the VPN stops sending; yesterday evening someone tries Diego Alvarez's Okta password eight times from
  an unknown address, then gets in. The official triaged the burst, not the success; Noah Fischer opened two charts
  at 21:40.
- The EHR's first week was reviewed on time (M-6); Okta's is signed today, late; both last weeks are due by Sunday.

The story the tracker tells (tests/test_demo_activity.py holds it to this):
- 164.308(a)(1)(ii)(D) not met: no VPN data in 24 hours, Diego Alvarez's success-after-failures alert is still new
  past its deadline, Okta's review was signed late, and the VPN has no review scheduled.
- 164.308(a)(5)(ii)(C): the activity check is partially met (failed log-ins are watched, but the VPN is not
  reviewed and Okta's review was late); the training check of the same citation decides the rest.
- 164.312(b) partially met: the EHR's audit log is collected, the other ePHI systems' are not.

Events are generated here (a fixed seed) and written as the systems export them. Three things no service writes
are marked DEMO HISTORY: the sources' creation day, when the alerts were raised (the micro-batch raises them five
minutes after the event; here one evaluation reads three weeks at once) with their deadlines, and the VPN's last
delivery and the first EHR review's signing time.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from safeguard.access.demo import EHR, EHR_PEOPLE
from safeguard.access.models import BreakGlassActivation
from safeguard.access.services.breakglass import activation_review
from safeguard.activity import patient_flag_import
from safeguard.activity.chores_alerts import silent_sources_run
from safeguard.activity.chores_reviews import reviews_create_due
from safeguard.activity.models import ActivityReview, Alert, AlertNote, AlertStatus, LogSource, RuleRun
from safeguard.activity.models import SourceFormat as Format
from safeguard.activity.models import SourceKind as Kind
from safeguard.activity.services import alerts as triage
from safeguard.activity.services.enrichment_records import alias_create, shift_create, workstation_create
from safeguard.activity.services.escalation import escalation_level_create, level_one_minutes
from safeguard.activity.services.evaluation import evaluation_create, run_evaluation
from safeguard.activity.services.ingestion import ingest_path
from safeguard.activity.services.reviews import review_sign
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.activity.services.sources import source_create
from safeguard.activity.store import store_for
from safeguard.core.audit import Actor
from safeguard.core.demo import DEMO_DOMAIN, demo_extension
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization, Signature, User
from safeguard.core.services.file_imports import import_apply
from safeguard.core.tabular import csv_lines
from safeguard.risk.models import Asset
from safeguard.workforce.demo import at
from safeguard.workforce.models import Person

SEED = 6
FLAGS_FILE = Path(__file__).parent / "data" / "demo" / "patient_flags.csv"
EHR_MAPPING = {
    "time": "ACCESS_TIME",
    "user_name": "USER_ID",
    "patient_id": "PAT_ID",
    "action": "METRIC_NAME",
    "src_host": "WORKSTATION",
    "src_ip": "IP",
}
OFFICE_IP, ATTACKER_IP, SANTOS_HOME = "203.0.113.10", "198.51.100.77", "192.0.2.44"
VPN_USERS = {"sokafor": "198.51.100.21", "lhoffmann": "198.51.100.22", "dr_haddad": "198.51.100.23"}
VPN_ALIAS = ("E1020", "dr_haddad")  # Amir Haddad's VPN profile predates the directory login
NIGHT_SHIFT = "E1011"  # Grace Kim works nights, every day of the week
BREAK_GLASS = "ehr-breakglass"  # the access demo's EHR emergency account
VIP, OWN_CHART, WEBER = "MRN200001", "MRN200020", "MRN200030"
# Each department's workstations and how many chart actions a person makes on a working day.
DESKS = {
    "Clinical": ("EXAM", 18),
    "Nursing": ("NURSE-STN", 16),
    "Lab": ("LAB", 8),
    "Front Desk": ("FRONT", 10),
    "Billing": ("BILL", 7),
    "Administration": ("ADMIN", 3),
    "IT": ("IT", 2),
}
ACTIONS = (("Chart Accessed", 60), ("Note Viewed", 12), ("Results Viewed", 10), ("Patient Search", 8),
           ("Note Created", 6), ("Order Entered", 3), ("Report Printed", 1))  # fmt: skip
EHR_HEADER = ("ACCESS_TIME", "USER_ID", "PAT_ID", "METRIC_NAME", "WORKSTATION", "IP")


@dataclass
class Logs:
    ehr: list[tuple[datetime, str, str, str, str, str]] = field(default_factory=list)
    okta: list[dict[str, object]] = field(default_factory=list)
    vpn: list[tuple[datetime, str, str]] = field(default_factory=list)


@dataclass
class Story:
    organization: Organization
    today: date
    users: dict[str, User]
    roster: dict[str, Person]
    official: Actor
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311  (demo data)
    sources: dict[str, LogSource] = field(default_factory=dict)
    logs: Logs = field(default_factory=Logs)
    now: datetime = field(default_factory=timezone.now)

    @property
    def monday(self) -> date:
        return self.today - timedelta(days=self.today.isoweekday() - 1)

    @property
    def start(self) -> date:
        return self.monday - timedelta(days=14)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def workday(self, days_ago: int) -> date:
        """The latest Monday-to-Friday on or before that day, after the story's first day."""
        day = self.day(min(days_ago, (self.today - self.start).days - 1))
        while day.isoweekday() > 5:
            day -= timedelta(days=1)
        return day


@demo_extension
def activity_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    roster = {person.employee_id: person for person in Person.objects.filter(organization=organization)}
    story = Story(organization, today, people, roster, Actor(user=people["official"]))
    _empty_store(story)
    _sources(story)
    _enrichment(story)
    rule_pack_install(organization=organization, actor=story.official)
    for level, (local, minutes) in enumerate((("official", 240), ("owner", 480)), start=1):
        remind = 60 if level == 1 else None
        escalation_level_create(
            organization=organization,
            actor=story.official,
            severity="high",
            notify_user=people[local],
            ack_minutes=minutes,
            remind_every_minutes=remind,
        )
    _workdays(story)
    _incidents(story)
    _ingest(story)
    _evaluate(story)
    _triage(story)
    _reviews(story)


def _empty_store(story: Story) -> None:
    """The organization is new: events left in its store file (a data folder kept while the database was reset)
    belong to no one and would be counted as duplicates."""
    store = store_for(story.organization.pk)
    if store.count():
        far = datetime(9999, 1, 1, tzinfo=UTC)
        store.purge(events_before=far, raw_before=far)


# ---- sources and what the rules join the events to -------------------------------------------------------------


def _sources(story: Story) -> None:
    organization, official = story.organization, story.users["official"]
    ehr_asset = Asset.objects.filter(organization=organization, name=EHR).first()
    common = {"time_zone": str(settings.TIME_ZONE), "reviewer": official}
    specs: dict[str, dict[str, Any]] = {
        "EHR": {"kind": Kind.EHR, "format": Format.EHR_CSV, "asset": ehr_asset, "mapping": EHR_MAPPING,
                "expected_daily_events": 300, "review_every_days": 7, "review_grace_days": 7},
        "Okta": {"kind": Kind.IDENTITY, "format": Format.OKTA, "expected_daily_events": 30, "review_every_days": 7,
                 "review_grace_days": 7},
        "VPN": {"kind": Kind.VPN_FIREWALL, "format": Format.SYSLOG, "expected_daily_events": 10},
    }  # fmt: skip
    created = at(story.start, 9)
    for name, values in specs.items():
        source = source_create(organization=organization, actor=story.official, name=name, **common, **values)
        # DEMO HISTORY: the sources were added on the first day of the story (the review periods start then).
        LogSource.objects.filter(pk=source.pk).update(created_at=created, updated_at=created)
        source.refresh_from_db()
        story.sources[name] = source


def _enrichment(story: Story) -> None:
    organization, actor = story.organization, story.official
    for login, employee_id, _, _ in EHR_PEOPLE:
        alias_create(organization=organization, actor=actor, person=story.roster[employee_id], alias=login)
    alias_create(organization=organization, actor=actor, person=story.roster["E1070"], alias="zadams")
    employee_id, alias = VPN_ALIAS
    vpn = story.sources["VPN"]
    alias_create(organization=organization, actor=actor, person=story.roster[employee_id], alias=alias, source=vpn)
    night = story.roster[NIGHT_SHIFT]
    shift_create(
        organization=organization,
        actor=actor,
        name="Night shift",
        person=night,
        start_hour=19,
        end_hour=7,
        weekdays=range(1, 8),
    )
    for department, (prefix, _) in DESKS.items():
        for number in (1, 2):
            host = f"{prefix}-{number:02d}"
            workstation_create(
                organization=organization, actor=actor, host=host, site="Main clinic", department=department
            )
    importer = importer_for(patient_flag_import.KIND)
    data = FLAGS_FILE.read_bytes()
    table = importer.read_table(data, "csv")
    import_apply(
        organization=organization,
        actor=actor,
        importer=importer,
        table=table,
        mapping=importer.guess_mapping(table.headers),
        options=importer.clean_options(organization, {}),
        file_name="privacy-office-patient-flags.csv",
        file_sha256=hashlib.sha256(data).hexdigest(),
    )


# ---- the logs ---------------------------------------------------------------------------------------------------


def _ehr_logins() -> dict[str, str]:
    """Employee id → the EHR login (the access demo's user list, and the joiner's)."""
    return {employee_id: login for login, employee_id, _, _ in EHR_PEOPLE} | {"E1070": "zadams"}


def _at_work(person: Person, day: date) -> bool:
    if person.status == Person.Status.LEAVE or (person.hire_date is not None and person.hire_date > day):
        return False
    return person.termination_at is None or person.termination_at > at(day, 19)


def _uid(story: Story) -> str:
    return str(uuid.UUID(int=story.rng.getrandbits(128), version=4))


def _okta(story: Story, moment: datetime, email: str, ip: str, *, ok: bool = True) -> None:
    if moment > story.now:
        return
    story.logs.okta.append(
        {
            "uuid": _uid(story),
            "published": moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "eventType": "user.session.start",
            "actor": {"alternateId": email, "type": "User"},
            "outcome": {"result": "SUCCESS"} if ok else {"result": "FAILURE", "reason": "INVALID_CREDENTIALS"},
            "client": {"ipAddress": ip, "geographicalContext": {"country": "United States"}},
        }
    )


def _chart(story: Story, moment: datetime, login: str, patient: str, action: str, host: str, ip: str) -> None:
    if moment > story.now:
        return
    story.logs.ehr.append((moment, login, patient, action, host, ip))


def _workdays(story: Story) -> None:
    """Ordinary days: each person at work signs in to Okta, then opens charts during their shift."""
    rng, logins = story.rng, _ehr_logins()
    actions, weights = zip(*ACTIONS, strict=True)
    day = story.start
    while day < story.today:
        if day.isoweekday() <= 5:
            for employee_id, person in sorted(story.roster.items()):
                if employee_id in logins and _at_work(person, day):
                    _person_day(story, person, logins[employee_id], day, actions, weights)
            if day <= story.day(2):
                for user, ip in VPN_USERS.items():
                    if rng.random() < 0.6:
                        begin = at(day, 13 + rng.randrange(3), rng.randrange(60))
                        story.logs.vpn.append((begin, user, ip))
        day += timedelta(days=1)


def _person_day(
    story: Story, person: Person, login: str, day: date, actions: tuple[str, ...], weights: tuple[int, ...]
) -> None:
    rng = story.rng
    prefix, count = DESKS.get(person.department, ("ADMIN", 3))
    host = f"{prefix}-{1 + rng.randrange(2):02d}"
    ip = f"10.20.{list(DESKS).index(person.department) if person.department in DESKS else 9}.{10 + rng.randrange(2)}"
    night = person.employee_id == NIGHT_SHIFT
    first = at(day, 19 if night else 8, rng.randrange(30))
    if person.email:
        if rng.random() < 0.05:
            _okta(story, first - timedelta(minutes=3), person.email, OFFICE_IP, ok=False)
        _okta(story, first - timedelta(minutes=2), person.email, OFFICE_IP)
    span = 11 * 3600 if night else 9 * 3600
    for _ in range(count + rng.randrange(-2, 3)):
        moment = first + timedelta(seconds=rng.randrange(span))
        patient = f"MRN{100001 + rng.randrange(400)}"
        _chart(story, moment, login, patient, rng.choices(actions, weights)[0], host, ip)


def _incidents(story: Story) -> None:
    """What the alerts are about, at the moments the docstring tells."""
    exam, billing, front, nurses = (
        ("EXAM-01", "10.20.0.10"),
        ("BILL-02", "10.20.4.11"),
        ("FRONT-01", "10.20.3.10"),
        (
            "NURSE-STN-02",
            "10.20.1.11",
        ),
    )
    _chart(story, at(story.workday(16), 10, 12), "ahaddad", VIP, "Chart Accessed", *exam)
    _chart(story, at(story.workday(13), 12, 41), "tnguyen", OWN_CHART, "Chart Accessed", *front)
    _chart(story, at(story.workday(9), 11, 15), "kobrien", VIP, "Chart Accessed", *billing)
    _chart(story, at(story.workday(9), 11, 17), "kobrien", VIP, "Results Viewed", *billing)
    _chart(story, at(story.workday(6), 14, 3), "hweber", WEBER, "Chart Accessed", *nurses)
    downtime = story.workday(5)
    for minute, patient in ((5, "MRN100217"), (22, "MRN100318")):
        _chart(story, at(downtime, 10, minute), BREAK_GLASS, patient, "Chart Accessed", "EXAM-03", "10.20.0.12")
    evening = story.day(11)
    for minute, patient in ((30, "MRN100011"), (36, "MRN100042"), (44, "MRN100097"), (52, "MRN100154")):
        _chart(story, at(evening, 20, minute), "jsantos", patient, "Note Viewed", "CITRIX-REMOTE", SANTOS_HOME)
    yesterday = story.day(1)
    for minute in range(8):
        _okta(
            story, at(yesterday, 19, 38) + timedelta(seconds=40 * minute), _email("E1033", story), ATTACKER_IP, ok=False
        )
    _okta(story, at(yesterday, 19, 46), _email("E1033", story), ATTACKER_IP)
    for minute, patient in ((40, "MRN100120"), (47, "MRN100121")):
        _chart(story, at(yesterday, 21, minute), "nfischer", patient, "Chart Accessed", "NURSE-STN-01", "10.20.1.10")


def _email(employee_id: str, story: Story) -> str:
    return story.roster[employee_id].email or f"{employee_id.lower()}@{DEMO_DOMAIN}"


def _weeks(story: Story, moments: list[datetime]) -> dict[date, list[int]]:
    """Positions of the records in each week's export (by the Monday of the week)."""
    weeks: dict[date, list[int]] = {}
    for position, moment in enumerate(moments):
        local = timezone.localtime(moment).date()
        weeks.setdefault(local - timedelta(days=local.isoweekday() - 1), []).append(position)
    return dict(sorted(weeks.items()))


def _vpn_lines(begin: datetime, user: str, ip: str, number: int) -> list[str]:
    def line(moment: datetime, tag: str, text: str) -> str:
        stamp = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return f"<166>1 {stamp} asa-fw01 %ASA-6-{tag} - - - {text}"

    who = f"Group <RemoteStaff> User <{user}> IP <{ip}>"
    end = begin + timedelta(minutes=35 + 7 * (number % 9))
    return [
        line(begin, "113004", f"AAA user authentication Successful : server = 10.0.0.5 : user = {user}"),
        line(
            begin + timedelta(seconds=4),
            "722051",
            f"{who} IPv4 Address <10.8.0.{20 + number % 50}> assigned to session",
        ),
        line(end, "722023", f"{who} SVC connection terminated: User Requested"),
    ]


def _files(story: Story) -> list[tuple[str, str, str]]:
    """(source, file name, content): each source's weekly exports, oldest first."""
    logs, files = story.logs, []
    ehr = sorted(logs.ehr)
    for monday, positions in _weeks(story, [row[0] for row in ehr]).items():
        rows = [(f"{timezone.localtime(ehr[p][0]):%Y-%m-%d %H:%M:%S}", *ehr[p][1:]) for p in positions]
        files.append(("EHR", f"ehr-access-{monday}.csv", "".join(csv_lines(EHR_HEADER, rows))))
    okta = sorted(logs.okta, key=lambda record: str(record["published"]))
    moments = [datetime.fromisoformat(str(record["published"])) for record in okta]
    for monday, positions in _weeks(story, moments).items():
        text = "".join(json.dumps(okta[p]) + "\n" for p in positions)
        files.append(("Okta", f"okta-system-log-{monday}.ndjson", text))
    vpn = sorted(logs.vpn)
    for monday, positions in _weeks(story, [row[0] for row in vpn]).items():
        lines = [line for p in positions for line in _vpn_lines(*vpn[p], p)]
        files.append(("VPN", f"asa-fw01-{monday}.log", "\n".join(lines) + "\n"))
    return files


def _ingest(story: Story) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, file_name, content in _files(story):
            path = Path(folder) / file_name
            path.write_text(content, encoding="utf-8")
            source = story.sources[name]
            ingest_path(source, path, file_name=file_name, channel="command", actor=story.official, evaluate=False)
    vpn = story.sources["VPN"]
    last = max(begin for begin, _, _ in story.logs.vpn) + timedelta(hours=1)
    # DEMO HISTORY: the VPN's last file arrived when its last session ended, not today.
    LogSource.objects.filter(pk=vpn.pk).update(last_received_at=last)


# ---- evaluation, triage and reviews ---------------------------------------------------------------------------


def _evaluate(story: Story) -> None:
    start = at(story.start, 0)
    run = evaluation_create(
        story.organization,
        start=start,
        end=timezone.now(),
        trigger=RuleRun.Trigger.MANUAL,
        requested_by=story.users["official"],
    )
    run = run_evaluation(run)
    if run.state != RuleRun.State.DONE:
        raise RuntimeError(f"The demo's evaluation failed: {run.failure}")
    deadlines = level_one_minutes(story.organization)
    for alert in Alert.objects.filter(organization=story.organization):
        # DEMO HISTORY: raised by the micro-batch five minutes after the event, with that deadline.
        raised = alert.first_seen + timedelta(minutes=5)
        minutes = deadlines.get(alert.severity)
        due = raised + timedelta(minutes=minutes) if minutes else None
        Alert.objects.filter(pk=alert.pk).update(
            created_at=raised, updated_at=raised, last_notified_at=raised, ack_due_at=due
        )
        AlertNote.objects.filter(alert=alert, action=AlertNote.Action.RAISED).update(created_at=raised)
    silent_sources_run(now=timezone.now())


def _alert(story: Story, rule: str, user: str) -> Alert:
    return Alert.objects.get(organization=story.organization, rule__name=rule, group_key__user_name=user)


def _close(story: Story, rule: str, user: str, status: str, comment: str, hours: float = 2) -> None:
    alert = _alert(story, rule, user)
    now = alert.created_at + timedelta(hours=hours)
    triage.alert_set_status(story.organization, story.official, alert=alert, status=status, comment=comment, now=now)


def _triage(story: Story) -> None:
    organization, official, benign, false = (
        story.organization,
        story.official,
        AlertStatus.BENIGN,
        AlertStatus.FALSE_POSITIVE,
    )
    _close(story, "ehr_vip_record", "ahaddad", benign, "Dr. Haddad is her physician: follow-up visit that morning.")
    _close(story, "ehr_own_record", "tnguyen", benign, "Tom looked up his own appointment. Reminded to use the portal.")
    _close(story, "ehr_same_surname", "hweber", false, "No relation: Hannah roomed Mr. Weber as the assistant on duty.")
    use = BreakGlassActivation.objects.filter(account__organization=organization, reviewed_at__isnull=True).filter(
        account__username=BREAK_GLASS
    )
    for activation in use:
        activation_review(
            organization=organization,
            actor=official,
            activation=activation,
            justified=True,
            notes="Single sign-on outage 10:00–10:40 (vendor ticket 88231); two charts, both on the downtime log.",
            reviewed_at=activation.started_at + timedelta(hours=5),
        )
    _close(story, "ehr_break_glass", BREAK_GLASS, benign, "The sign-on outage: use reviewed in the register.", 5)
    santos = "Dr. Santos finished notes for four of her patients the evening after her last day; nothing was changed."
    _close(story, "ehr_after_termination", "jsantos", benign, santos + " Her account should have gone at 17:00.", 14)
    _close(story, "ehr_after_hours", "jsantos", benign, "The same evening as the after-termination alert.", 14)
    vip = _alert(story, "ehr_vip_record", "kobrien")
    when = vip.created_at + timedelta(hours=1)
    triage.alert_assign(organization, official, alert=vip, assignee=story.users["official"], now=when)
    triage.alert_comment(organization, official, alert=vip, comment="No claim for this patient is open.", now=when)
    triage.alerts_escalate(
        organization,
        official,
        alerts=[vip],
        comment="A billing specialist opened a VIP's chart and results with no billing task: privacy incident.",
        title="Billing specialist opened a VIP patient's chart",
        owner=story.users["privacy"],
        now=when + timedelta(minutes=20),
    )
    burst = _alert(story, "auth_brute_force_user", _email("E1033", story))
    when = burst.created_at + timedelta(minutes=30)
    triage.alert_assign(organization, official, alert=burst, assignee=story.users["official"], now=when)
    triage.alert_set_status(
        organization,
        official,
        alert=burst,
        status=AlertStatus.TRIAGED,
        comment="Failures from an address outside the clinic; asked Diego whether he was signing in from home.",
        now=when,
    )


def _reviews(story: Story) -> None:
    reviews_create_due(story.today)
    first = story.monday - timedelta(days=14)
    ehr = ActivityReview.objects.get(source=story.sources["EHR"], period_start=first)
    signed = review_sign(
        organization=story.organization,
        actor=story.official,
        review=ehr,
        conclusion=ActivityReview.Conclusion.ISSUES_FOUND,
        notes="Every alert triaged; the VIP chart opened by billing is incident work, the rest explained.",
    )
    moment = at(story.monday - timedelta(days=6), 10)
    # DEMO HISTORY: signed on the Tuesday after the week, as the official does.
    ActivityReview.objects.filter(pk=signed.pk).update(signed_at=moment)
    if signed.signature is not None:
        Signature.objects.filter(pk=signed.signature.pk).update(signed_at=moment)
    okta = ActivityReview.objects.get(source=story.sources["Okta"], period_start=first)
    review_sign(
        organization=story.organization,
        actor=story.official,
        review=okta,
        conclusion=ActivityReview.Conclusion.NO_ISSUES,
        notes="",
    )
