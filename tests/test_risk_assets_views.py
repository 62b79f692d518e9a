"""Asset pages over HTTP: the inventory list and its filters, create, detail, edit (and retiring); who may do what."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.forms_common import member_choices
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import (
    AnalysisScopeItem,
    Asset,
    AssetKind,
    DataFlow,
    ReanalysisTrigger,
    Risk,
    RiskAnalysis,
    Transport,
)
from tests.conftest import Cast, client_for, make_member

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

LOGIN = reverse("login")


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def asset(cast: Cast, name: str = "EHR", org: Organization | None = None, **values: object) -> Asset:
    fields: dict[str, object] = {"kind": AssetKind.APPLICATION, **values}
    return Asset.objects.create(organization=org or cast.org, name=name, **fields)


def form_data(cast: Cast, **values: object) -> dict[str, object]:
    return {
        "name": "Patient portal",
        "kind": "application",
        "description": "",
        "owner": str(cast.official.public_id),
        "hosting": "Vendor cloud",
        "volume_band": "10k_to_100k",
        "business_associate": "PortalCo",
        "status": "in_service",
        **values,
    }


def names(response: TestResponse) -> list[str]:
    return [a.name for a in response.context["page"].object_list]


def user_of(cast: Cast, who: str) -> User | None:
    return None if who == "anonymous" else getattr(cast, who)


def approve_analysis_of(cast: Cast, *scope: Asset) -> RiskAnalysis:
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026 analysis",
        status=RiskAnalysis.Status.APPROVED,
        approved_at=timezone.now() - timedelta(days=1),
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
    )
    for item in scope:
        AnalysisScopeItem.objects.create(analysis=analysis, asset=item, name=item.name, kind=item.kind, status="")
    return analysis


# --- list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_every_column_and_counts_flows_both_ways(cast: Cast) -> None:
    ehr = asset(cast, "EHR", owner=cast.official, hosting="Server room", business_associate="EpicCo")
    lab = asset(cast, "Lab", kind=AssetKind.SERVER)
    asset(cast, "Fax machine", kind=AssetKind.ENDPOINT)
    for ephi, source, destination in (("Orders", ehr, lab), ("Results", lab, ehr), ("Claims", ehr, lab)):
        DataFlow.objects.create(
            organization=cast.org,
            source=source,
            destination=destination,
            ephi=ephi,
            transport=Transport.HL7,
            encrypted_in_transit=True,
        )

    response = client_for(cast.official).get(url("asset_list"))

    assert names(response) == ["EHR", "Fax machine", "Lab"]
    counts = {a.name: a.flow_count for a in response.context["page"].object_list}
    assert counts == {"EHR": 3, "Fax machine": 0, "Lab": 3}
    page = response.content.decode()
    for text in ("so@clinic.test", "Server room", "EpicCo", "Unknown", "In service", "Endpoint / device"):
        assert text in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "server"}, ["Lab"]),
        ({"status": "retired"}, ["Old PACS"]),
        ({"q": "epic"}, ["EHR"]),
        ({"q": "basement"}, ["Lab"]),
        ({"q": "pacs"}, ["Old PACS"]),
        ({"kind": "not-a-kind"}, ["EHR", "Lab", "Old PACS"]),
    ],
)
def test_the_list_filters(cast: Cast, query: dict[str, str], expected: list[str]) -> None:
    asset(cast, "EHR", business_associate="Epic Systems")
    asset(cast, "Lab", kind=AssetKind.SERVER, hosting="Basement")
    asset(cast, "Old PACS", status=Asset.Status.RETIRED)

    assert names(client_for(cast.owner).get(url("asset_list"), query)) == expected


def test_the_list_filters_by_owner(cast: Cast) -> None:
    asset(cast, "EHR", owner=cast.official)
    asset(cast, "Lab", owner=cast.workforce)

    response = client_for(cast.owner).get(url("asset_list"), {"owner": str(cast.workforce.public_id)})

    assert names(response) == ["Lab"]


def test_the_list_paginates_fifty_per_page(cast: Cast) -> None:
    Asset.objects.bulk_create(
        [Asset(organization=cast.org, name=f"Laptop {n:02}", kind=AssetKind.ENDPOINT) for n in range(51)]
    )
    client = client_for(cast.owner)

    assert len(names(client.get(url("asset_list")))) == 50
    assert names(client.get(url("asset_list"), {"page": 2})) == ["Laptop 50"]


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    owners = [cast.owner, cast.official, cast.workforce]

    def grow(upto: int, start: int) -> None:
        for n in range(start, upto):
            made = asset(cast, f"Asset {n:02}", owner=owners[n % 3])
            if n:
                DataFlow.objects.create(
                    organization=cast.org,
                    source=made,
                    destination=Asset.objects.get(name="Asset 00"),
                    ephi="Notes",
                    transport=Transport.TLS,
                    encrypted_in_transit=True,
                )

    grow(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("asset_list")).status_code == 200
    grow(30, 3)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("asset_list")).status_code == 200

    assert len(many) == len(few)


def test_import_and_export_links_show_once_their_pages_exist(cast: Cast) -> None:
    page = client_for(cast.owner).get(url("asset_list")).content.decode()

    for name, label in (("import_start", "Import assets or flows"), ("asset_export", "Export the inventory")):
        try:
            target = url(name)
        except NoReverseMatch:  # another area adds the route
            assert label not in page
        else:
            assert f'href="{target}"' in page


def test_an_auditor_reads_the_list_without_a_create_link(cast: Cast) -> None:
    asset(cast, "EHR")

    response = client_for(cast.auditor).get(url("asset_list"))

    assert names(response) == ["EHR"]
    assert url("asset_create") not in response.content.decode()


# --- authorization and isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)],
)
def test_read_pages_matrix(cast: Cast, who: str, expected: int) -> None:
    ehr = asset(cast)
    client = client_for(user_of(cast, who))

    assert client.get(url("asset_list")).status_code == expected
    assert client.get(url("asset_detail", ehr.public_id)).status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    ehr = asset(cast)

    for target in (url("asset_list"), url("asset_detail", ehr.public_id), url("asset_create")):
        response = client_for(None).get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_create_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_for(user_of(cast, who)).post(url("asset_create"), form_data(cast))

    assert response.status_code == expected
    made = Asset.objects.filter(name="Patient portal")
    if who in ("owner", "official"):
        assert made.exists()
        assert AuditEvent.objects.filter(action="risk.asset.created").count() == 1
    else:
        assert not made.exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_edit_matrix(cast: Cast, who: str, expected: int) -> None:
    ehr = asset(cast)

    response = client_for(user_of(cast, who)).post(url("asset_edit", ehr.public_id), form_data(cast, name="EHR"))

    assert response.status_code == expected
    ehr.refresh_from_db()
    if who in ("owner", "official"):
        assert ehr.hosting == "Vendor cloud"
    else:
        assert ehr.hosting == ""
        assert not AuditEvent.objects.exists()


def test_another_organizations_asset_is_not_found(cast: Cast) -> None:
    theirs = asset(cast, "Their EHR", org=cast.other_org)
    ours = asset(cast, "EHR")
    owner = client_for(cast.owner)

    assert owner.get(url("asset_detail", theirs.public_id)).status_code == 404
    assert owner.get(url("asset_edit", theirs.public_id)).status_code == 404
    assert owner.post(url("asset_edit", theirs.public_id), form_data(cast)).status_code == 404
    assert client_for(cast.outsider).get(url("asset_detail", ours.public_id, org="other")).status_code == 404
    assert "Their EHR" not in owner.get(url("asset_list")).content.decode()
    theirs.refresh_from_db()
    assert theirs.hosting == ""


# --- create, detail, edit ---------------------------------------------------------------------------------------


def test_create_stores_the_asset_and_shows_it(cast: Cast) -> None:
    client = client_for(cast.owner)

    response = client.post(url("asset_create"), form_data(cast))

    made = Asset.objects.get()
    assert response["Location"] == url("asset_detail", made.public_id)
    assert made.owner == cast.official
    assert made.volume_band == "10k_to_100k"
    assert "Patient portal" in client.get(response["Location"]).content.decode()


def test_owner_choices_are_current_members_other_than_auditors(cast: Cast) -> None:
    response = client_for(cast.owner).get(url("asset_create"))

    choices = {str(value) for value, _label in response.context["form"].fields["owner"].choices if value}
    assert choices == {str(u.public_id) for u in (cast.owner, cast.official, cast.workforce)}


def test_member_choices_keep_the_present_owner_and_reach_former_members_on_request(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", "workforce", is_active=False).user
    current = {cast.owner, cast.official, cast.workforce}

    assert set(member_choices(cast.org)) == current
    assert set(member_choices(cast.org, keep=leaver)) == current | {leaver}
    assert set(member_choices(cast.org, former=True)) == current | {leaver}
    assert cast.auditor not in member_choices(cast.org, keep=None, former=True)
    assert cast.outsider not in member_choices(cast.org, former=True)


def test_a_duplicate_name_is_shown_on_the_name_field(cast: Cast) -> None:
    asset(cast, "Patient Portal")

    response = client_for(cast.owner).post(url("asset_create"), form_data(cast, name="patient portal"))

    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["name"][0]
    assert Asset.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_creating_an_asset_after_an_approved_analysis_says_a_trigger_was_recorded(cast: Cast) -> None:
    approve_analysis_of(cast)

    response = client_for(cast.owner).post(url("asset_create"), form_data(cast), follow=True)

    assert ReanalysisTrigger.objects.get().kind == ReanalysisTrigger.Kind.ASSET_ADDED
    assert "re-analysis trigger was recorded" in response.content.decode()
    assert "Asset added after approval" in response.content.decode()


def test_the_detail_page_shows_flows_both_ways_risks_and_triggers(cast: Cast) -> None:
    ehr = asset(cast, "EHR")
    lab = asset(cast, "Lab")
    DataFlow.objects.create(
        organization=cast.org, source=ehr, destination=lab, ephi="Orders", transport="hl7", encrypted_in_transit=True
    )
    DataFlow.objects.create(
        organization=cast.org, source=lab, destination=ehr, ephi="Results", transport="hl7", encrypted_in_transit=False
    )
    for number in (1, 2):
        Risk.objects.create(organization=cast.org, number=number, title=f"Risk {number}").assets.add(ehr)
    ReanalysisTrigger.objects.create(
        organization=cast.org, kind=ReanalysisTrigger.Kind.ASSET_CHANGED, reason="EHR moved to the cloud", asset=ehr
    )

    page = client_for(cast.auditor).get(url("asset_detail", ehr.public_id)).content.decode()

    assert "Sends to" in page and "Orders" in page
    assert "Receives from" in page and "Results" in page
    assert "2 risks in the register name this asset" in page
    assert "R-0001 Risk 1" in page
    assert "EHR moved to the cloud" in page
    assert url("asset_edit", ehr.public_id) not in page  # auditors read only


def test_the_detail_page_query_count_does_not_grow_with_flows(cast: Cast) -> None:
    ehr = asset(cast, "EHR")
    client = client_for(cast.owner)

    def grow(start: int, upto: int) -> None:
        for n in range(start, upto):
            other = asset(cast, f"Peer {n:02}")
            DataFlow.objects.create(
                organization=cast.org,
                source=ehr,
                destination=other,
                ephi="x",
                transport="tls",
                encrypted_in_transit=True,
            )
            DataFlow.objects.create(
                organization=cast.org,
                source=other,
                destination=ehr,
                ephi="y",
                transport="tls",
                encrypted_in_transit=True,
            )

    grow(0, 2)
    with CaptureQueriesContext(connection) as few:
        client.get(url("asset_detail", ehr.public_id))
    grow(2, 20)
    with CaptureQueriesContext(connection) as many:
        client.get(url("asset_detail", ehr.public_id))

    assert len(many) == len(few)


def test_edit_changes_only_what_was_changed(cast: Cast) -> None:
    ehr = asset(cast, "EHR", owner=cast.official, hosting="Server room", volume_band="under_500")
    data = form_data(cast, name="EHR", hosting="Server room", volume_band="under_500", business_associate="")

    response = client_for(cast.owner).post(url("asset_edit", ehr.public_id), {**data, "description": "Clinical"})

    assert response["Location"] == url("asset_detail", ehr.public_id)
    assert AuditEvent.objects.get(action="risk.asset.updated").changes == {"description": ["", "Clinical"]}


def test_an_owner_who_has_left_does_not_block_other_edits(cast: Cast) -> None:
    ehr = asset(cast, "EHR", owner=cast.workforce)
    cast.org.memberships.filter(user=cast.workforce).update(is_active=False)
    client = client_for(cast.owner)

    form = client.get(url("asset_edit", ehr.public_id)).context["form"]
    assert str(cast.workforce.public_id) in {str(value) for value, _label in form.fields["owner"].choices}
    data = form_data(cast, name="EHR", owner=str(cast.workforce.public_id), hosting="Cloud")
    response = client.post(url("asset_edit", ehr.public_id), data)

    assert response.status_code == 302
    ehr.refresh_from_db()
    assert ehr.hosting == "Cloud"
    assert ehr.owner == cast.workforce


def test_retiring_is_a_status_change_that_keeps_the_asset(cast: Cast) -> None:
    ehr = asset(cast, "EHR")
    approve_analysis_of(cast, ehr)
    client = client_for(cast.owner)
    assert "set its status to Retired" in client.get(url("asset_edit", ehr.public_id)).content.decode()

    response = client.post(
        url("asset_edit", ehr.public_id), form_data(cast, name="EHR", status="retired", **_unchanged()), follow=True
    )

    ehr.refresh_from_db()
    assert ehr.status == Asset.Status.RETIRED
    assert ehr.retired_at is not None
    assert "Retired “EHR”" in response.content.decode()
    assert not ReanalysisTrigger.objects.exists()


def _unchanged() -> dict[str, str]:
    return {"owner": "", "hosting": "", "volume_band": "unknown", "business_associate": ""}
