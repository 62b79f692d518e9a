"""The threat/vulnerability library: seeding from the starter set (idempotent, cheap once complete), and editing
entries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.services.library import (
    library_seed,
    starter_set,
    starters_missing,
    threat_create,
    threat_update,
    vulnerability_create,
    vulnerability_update,
)
from tests.conftest import Cast
from tests.test_risk_analysis_support import actor


def test_the_starter_set_covers_every_source_type_and_area() -> None:
    threats, vulnerabilities = starter_set("threats"), starter_set("vulnerabilities")
    assert len(threats) >= 25 and len(vulnerabilities) >= 25
    assert {entry.category for entry in threats} == set(ThreatSource.values)
    assert {entry.category for entry in vulnerabilities} == set(VulnerabilityArea.values)
    for entries in (threats, vulnerabilities):
        assert len({entry.key for entry in entries}) == len(entries)
        assert len({entry.name.lower() for entry in entries}) == len(entries)
        assert all(entry.description and len(entry.name) <= 200 for entry in entries)


def test_seeding_copies_the_starter_set_once(cast: Cast) -> None:
    added = library_seed(organization=cast.org, actor=actor(cast.owner))

    assert added == len(starter_set("threats")) + len(starter_set("vulnerabilities"))
    assert Threat.objects.filter(organization=cast.org).exclude(seed_key="").count() == len(starter_set("threats"))
    assert library_seed(organization=cast.org, actor=actor(cast.owner)) == 0
    assert Threat.objects.filter(organization=cast.org).count() == len(starter_set("threats"))
    assert AuditEvent.objects.filter(action="risk.library.seeded").count() == 1
    assert not Threat.objects.filter(organization=cast.other_org).exists()


def test_a_renamed_or_deactivated_starter_entry_is_not_seeded_again(cast: Cast) -> None:
    library_seed(organization=cast.org, actor=actor(cast.owner))
    ransomware = Threat.objects.get(organization=cast.org, seed_key="ransomware")
    threat_update(organization=cast.org, actor=actor(cast.owner), threat=ransomware, name="Our ransomware scenario")
    phishing = Threat.objects.get(organization=cast.org, seed_key="phishing-credential-theft")
    threat_update(organization=cast.org, actor=actor(cast.owner), threat=phishing, is_active=False)

    assert library_seed(organization=cast.org, actor=actor(cast.owner)) == 0
    assert Threat.objects.filter(organization=cast.org, seed_key="ransomware").count() == 1


def test_seeding_skips_a_starter_name_the_organization_already_uses(cast: Cast) -> None:
    name = starter_set("threats")[0].name
    own = threat_create(organization=cast.org, actor=actor(cast.owner), name=name.upper(), source_type="accidental")

    library_seed(organization=cast.org, actor=actor(cast.owner))

    assert Threat.objects.filter(organization=cast.org, name__iexact=name).get() == own


def test_seeding_a_complete_library_is_one_read_and_takes_no_lock(cast: Cast) -> None:
    # A starter entry skipped for its name stays out for good, without making every later call take the lock.
    name = starter_set("threats")[0].name
    threat_create(organization=cast.org, actor=actor(cast.owner), name=name, source_type="accidental")
    library_seed(organization=cast.org, actor=actor(cast.owner))

    with CaptureQueriesContext(connection) as queries:
        assert library_seed(organization=cast.org, actor=actor(cast.owner)) == 0

    assert len(queries) == 1
    assert "core_organization" not in queries[0]["sql"]


def test_starters_missing_lists_what_seeding_would_add(cast: Cast) -> None:
    assert [len(entries) for entries in starters_missing(cast.org)] == [
        len(starter_set("threats")),
        len(starter_set("vulnerabilities")),
    ]
    library_seed(organization=cast.org, actor=actor(cast.owner))
    Vulnerability.objects.filter(organization=cast.org, seed_key=starter_set("vulnerabilities")[0].key).delete()

    threats, vulnerabilities = starters_missing(cast.org)

    assert (threats, vulnerabilities) == ([], [starter_set("vulnerabilities")[0]])
    assert library_seed(organization=cast.org, actor=actor(cast.owner)) == 1


def test_create_and_update_a_threat(cast: Cast) -> None:
    threat = threat_create(
        organization=cast.org,
        actor=actor(cast.owner),
        name="  Courier loses a box of charts ",
        source_type="accidental",
    )
    assert threat.name == "Courier loses a box of charts"

    threat_update(organization=cast.org, actor=actor(cast.owner), threat=threat, description="Off-site storage run.")

    event = AuditEvent.objects.get(action="risk.threat.updated")
    assert event.changes == {"description": ["", "Off-site storage run."]}


def test_deactivating_is_audited_as_such(cast: Cast) -> None:
    weakness = vulnerability_create(organization=cast.org, actor=actor(cast.owner), name="No UPS", area="physical")

    vulnerability_update(organization=cast.org, actor=actor(cast.owner), vulnerability=weakness, is_active=False)

    weakness.refresh_from_db()
    assert not weakness.is_active
    assert AuditEvent.objects.get(action="risk.vulnerability.deactivated").changes == {"is_active": [True, False]}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " ", "source_type": "accidental"}, "name"),
        ({"name": "Flood", "source_type": "weather"}, "source_type"),
        ({"name": "x" * 201, "source_type": "accidental"}, "name"),
    ],
)
def test_threat_refusals_name_the_field(cast: Cast, values: dict[str, str], field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        threat_create(organization=cast.org, actor=actor(cast.owner), **values)
    assert refused.value.field == field
    assert not Threat.objects.exists()


def test_names_are_unique_in_the_organization_ignoring_case(cast: Cast) -> None:
    vulnerability_create(organization=cast.org, actor=actor(cast.owner), name="Shared logins", area="technical")
    other = vulnerability_create(organization=cast.org, actor=actor(cast.owner), name="Open closet", area="physical")
    with pytest.raises(ServiceError, match="already has a vulnerability named “shared LOGINS”"):
        vulnerability_create(organization=cast.org, actor=actor(cast.owner), name="shared LOGINS", area="technical")
    with pytest.raises(ServiceError) as refused:
        vulnerability_update(organization=cast.org, actor=actor(cast.owner), vulnerability=other, name="SHARED logins")
    assert refused.value.field == "name"
    vulnerability_create(
        organization=cast.other_org, actor=actor(cast.outsider), name="Shared logins", area="technical"
    )
    assert Vulnerability.objects.filter(name__iexact="shared logins").count() == 2


def test_update_refuses_unknown_fields(cast: Cast) -> None:
    threat = threat_create(organization=cast.org, actor=actor(cast.owner), name="Flood", source_type="environmental")
    with pytest.raises(ServiceError, match="Unknown fields: seed_key"):
        threat_update(organization=cast.org, actor=actor(cast.owner), threat=threat, seed_key="flood")
