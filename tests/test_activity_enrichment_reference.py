"""reference_data(): the roster, identities, resolved shifts, accounts, patients, workstations and sources the
store joins events to, with values computed by hand; and its query count does not grow with the roster."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import transaction
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import AccountDesignation, BreakGlassAccount, Classification, System
from safeguard.activity.enrichment import reference_changed, reference_data
from safeguard.activity.models import ActivitySettings, PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.core.models import Organization
from safeguard.risk.models import Asset
from safeguard.workforce.models import Person
from safeguard.workforce.signals import roster_changed
from tests.activity_factories import make_source
from tests.conftest import Cast


def _person(org: Organization, employee_id: str, **extra: object) -> Person:
    return Person.objects.create(organization=org, employee_id=employee_id, **extra)


def test_reference_values(cast: Cast, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    org = cast.org
    ehr_asset = Asset.objects.create(organization=org, name="Epic", kind="application")
    ehr = make_source(org, name="EHR", asset=ehr_asset)
    vpn = make_source(org, name="VPN", kind="vpn_firewall", format="normalized", time_zone="UTC")
    ann = _person(
        org,
        "E1",
        family_name="Smith ",
        user_name="ASmith",
        email="ann@clinic.test",
        department="ICU",
        job_role="Nurse",
        hire_date=date(2024, 1, 15),
    )
    bob = _person(
        org,
        "E2",
        family_name="Jones",
        user_name="bjones",
        email="shared@clinic.test",
        department="ICU",
        job_role="Clerk",
        termination_at=datetime(2026, 2, 1, 17, tzinfo=UTC),
    )
    cid = _person(org, "E3", family_name="Ng", email="shared@clinic.test", department="Lab")
    UserAlias.objects.create(
        organization=org, person=ann, source=vpn, alias="ann.vpn", alias_key="ann.vpn", created_by=cast.owner
    )
    UserAlias.objects.create(organization=org, person=bob, alias="E1", alias_key="e1", created_by=cast.owner)
    WorkShift.objects.create(organization=org, name="ICU days", department="ICU", start_hour=7, end_hour=19)
    WorkShift.objects.create(
        organization=org,
        name="ICU nurse nights",
        department="ICU",
        job_role="nurse",
        start_hour=19,
        end_hour=7,
        weekdays=[7, 1, 1],
    )
    WorkShift.objects.create(organization=org, name="Cid", person=cid, start_hour=6, end_hour=14, weekdays=[6, 7])
    system = System.objects.create(organization=org, asset=ehr_asset)
    other_system = System.objects.create(
        organization=org, asset=Asset.objects.create(organization=org, name="Fileshare", kind="storage")
    )
    BreakGlassAccount.objects.create(organization=org, system=system, username="EMERG01", purpose="downtime")
    AccountDesignation.objects.create(
        organization=org,
        system=other_system,
        username_key="svc_backup",
        classification=Classification.SERVICE,
        decided_by=cast.owner,
    )
    AccountDesignation.objects.create(
        organization=org,
        system=system,
        username_key="frontdesk",
        classification=Classification.PERSON,
        decided_by=cast.owner,
    )
    PatientFlag.objects.create(
        organization=org, patient_ref="MRN-9", patient_key="mrn-9", last_name="Smith", vip=True, employee=ann
    )
    Workstation.objects.create(organization=org, host="ICU-WS-01", host_key="icu-ws-01", site="Main", department="ICU")
    ActivitySettings.objects.create(organization=org, business_start_hour=8, business_end_hour=17, reference_version=4)
    _person(cast.other_org, "E1", user_name="elsewhere")  # another organization's roster is not read

    ref = reference_data(org)

    assert ref.version == 4
    assert ref.people == [
        {
            "person_id": ann.pk,
            "last_name": "smith",
            "department": "ICU",
            "job_role": "Nurse",
            "hire_at": datetime(2024, 1, 15, 5, tzinfo=UTC),
            "termination_at": None,
        },
        {
            "person_id": bob.pk,
            "last_name": "jones",
            "department": "ICU",
            "job_role": "Clerk",
            "hire_at": None,
            "termination_at": datetime(2026, 2, 1, 17, tzinfo=UTC),
        },
        {
            "person_id": cid.pk,
            "last_name": "ng",
            "department": "Lab",
            "job_role": "",
            "hire_at": None,
            "termination_at": None,
        },
    ]
    # "e1" (Ann's employee id) is Bob's alias everywhere: the alias wins; the shared email matches nobody.
    assert ref.identities == [
        {"identity": "ann.vpn", "source_id": vpn.pk, "person_id": ann.pk},
        {"identity": "e1", "source_id": None, "person_id": bob.pk},
        {"identity": "ann@clinic.test", "source_id": None, "person_id": ann.pk},
        {"identity": "asmith", "source_id": None, "person_id": ann.pk},
        {"identity": "bjones", "source_id": None, "person_id": bob.pk},
        {"identity": "e2", "source_id": None, "person_id": bob.pk},
        {"identity": "e3", "source_id": None, "person_id": cid.pk},
    ]
    assert ref.shifts == [
        {"person_id": ann.pk, "start_hour": 19, "end_hour": 7, "weekdays": [1, 7]},  # her role's, over the unit's
        {"person_id": bob.pk, "start_hour": 7, "end_hour": 19, "weekdays": [1, 2, 3, 4, 5]},  # the department's
        {"person_id": cid.pk, "start_hour": 6, "end_hour": 14, "weekdays": [6, 7]},  # his own
        {"person_id": None, "start_hour": 8, "end_hour": 17, "weekdays": [1, 2, 3, 4, 5]},
    ]
    assert ref.accounts == [
        {"identity": "emerg01", "source_id": ehr.pk, "account_type": "break_glass"},
        {"identity": "svc_backup", "source_id": None, "account_type": "service"},
    ]
    assert ref.patients == [
        {"patient": "MRN-9", "last_name": "smith", "vip": True, "restricted": False, "employee_person_id": ann.pk}
    ]
    assert ref.workstations == [{"host": "icu-ws-01", "site": "Main", "department": "ICU"}]
    assert ref.sources == [
        {"source_id": ehr.pk, "name": "EHR", "kind": "ehr", "time_zone": "America/New_York"},
        {"source_id": vpn.pk, "name": "VPN", "kind": "vpn_firewall", "time_zone": "UTC"},
    ]


def _queries(org: Organization) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        reference_data(org)
    return len(captured)


def test_query_count_does_not_grow_with_the_roster(cast: Cast) -> None:
    make_source(cast.org)
    _person(cast.org, "P0", user_name="p0")
    ActivitySettings.objects.create(organization=cast.org)
    few = _queries(cast.org)
    for n in range(1, 40):
        person = _person(cast.org, f"P{n}", user_name=f"p{n}", department="D", job_role=f"R{n % 3}")
        UserAlias.objects.create(
            organization=cast.org, person=person, alias=f"a{n}", alias_key=f"a{n}", created_by=cast.owner
        )
        PatientFlag.objects.create(organization=cast.org, patient_ref=f"M{n}", patient_key=f"m{n}", employee=person)
    WorkShift.objects.create(organization=cast.org, name="D", department="D", start_hour=7, end_hour=15)
    assert _queries(cast.org) == few
    assert few <= 10


def test_reference_changed_raises_the_version(cast: Cast) -> None:
    reference_changed(cast.org)  # makes the settings on first use
    reference_changed(cast.org)
    assert ActivitySettings.objects.get(organization=cast.org).reference_version == 2


def test_roster_change_raises_the_version_once_per_transaction(cast: Cast, django_capture_on_commit_callbacks) -> None:
    ActivitySettings.objects.create(organization=cast.org)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):
            person = _person(cast.org, f"X{n}")
            roster_changed.send(sender=Person, organization=cast.org, person=person, change="joined")
    assert ActivitySettings.objects.get(organization=cast.org).reference_version == 1
