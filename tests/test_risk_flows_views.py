"""Data-flow pages over HTTP: list and filters, create, edit, delete, and the diagram page and image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.models import Asset, AssetKind, DataFlow, Transport
from tests.conftest import Cast, client_for

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def asset(
    cast: Cast, name: str, org: Organization | None = None, kind: str = AssetKind.APPLICATION, **values: object
) -> Asset:
    return Asset.objects.create(organization=org or cast.org, name=name, kind=kind, **values)


def flow(
    cast: Cast, source: Asset, destination: Asset, ephi: str = "Lab results", encrypted: bool = True, **values: object
) -> DataFlow:
    fields: dict[str, object] = {"transport": Transport.HL7, **values}
    return DataFlow.objects.create(
        organization=source.organization,
        source=source,
        destination=destination,
        ephi=ephi,
        encrypted_in_transit=encrypted,
        **fields,
    )


def form_data(source: Asset, destination: Asset, **values: object) -> dict[str, object]:
    return {
        "source": str(source.public_id),
        "destination": str(destination.public_id),
        "ephi": "Claims (837)",
        "transport": "sftp",
        "encrypted_in_transit": "yes",
        "notes": "",
        **values,
    }


def shown(response: TestResponse) -> list[str]:
    return [f"{f.source.name}>{f.destination.name}:{f.ephi}" for f in response.context["page"].object_list]


def user_of(cast: Cast, who: str) -> User | None:
    return None if who == "anonymous" else getattr(cast, who)


@pytest.fixture
def ehr_lab(cast: Cast) -> tuple[Asset, Asset]:
    return asset(cast, "EHR"), asset(cast, "Lab", kind=AssetKind.SERVER)


# --- list -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["Billing>Clearinghouse:Claims", "EHR>Lab:Orders", "Lab>EHR:Results"]),
        ({"encrypted": "no"}, ["Billing>Clearinghouse:Claims"]),
        ({"encrypted": "yes"}, ["EHR>Lab:Orders", "Lab>EHR:Results"]),
        ({"transport": "sftp"}, ["Billing>Clearinghouse:Claims"]),
        ({"transport": "nonsense"}, ["Billing>Clearinghouse:Claims", "EHR>Lab:Orders", "Lab>EHR:Results"]),
    ],
)
def test_the_list_filters(cast: Cast, ehr_lab: tuple[Asset, Asset], query: dict[str, str], expected: list[str]) -> None:
    ehr, lab = ehr_lab
    flow(cast, ehr, lab, "Orders")
    flow(cast, lab, ehr, "Results")
    flow(cast, asset(cast, "Billing"), asset(cast, "Clearinghouse"), "Claims", encrypted=False, transport="sftp")

    assert shown(client_for(cast.owner).get(url("flow_list"), query)) == expected


def test_the_list_filters_by_asset_in_either_direction(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    billing = asset(cast, "Billing")
    flow(cast, ehr, lab, "Orders")
    flow(cast, lab, ehr, "Results")
    flow(cast, ehr, billing, "Charges")
    flow(cast, billing, asset(cast, "Clearinghouse"), "Claims")

    response = client_for(cast.owner).get(url("flow_list"), {"asset": str(lab.public_id)})

    assert shown(response) == ["EHR>Lab:Orders", "Lab>EHR:Results"]


def test_an_unencrypted_flow_is_marked_in_the_list(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    flow(cast, *ehr_lab, encrypted=False)

    page = client_for(cast.auditor).get(url("flow_list")).content.decode()

    assert "<strong>No</strong>" in page
    assert url("flow_create") not in page


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    hub = asset(cast, "Hub")
    client = client_for(cast.owner)

    def grow(start: int, upto: int) -> None:
        for n in range(start, upto):
            flow(cast, asset(cast, f"Peer {n:02}"), hub, f"Data {n}")

    grow(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("flow_list")).status_code == 200
    grow(3, 30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("flow_list")).status_code == 200

    assert len(many) == len(few)


def test_the_list_paginates_fifty_per_page(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    DataFlow.objects.bulk_create(
        [
            DataFlow(
                organization=cast.org,
                source=ehr,
                destination=lab,
                ephi=f"Set {n:02}",
                transport="tls",
                encrypted_in_transit=True,
            )
            for n in range(51)
        ]
    )
    client = client_for(cast.owner)

    assert len(shown(client.get(url("flow_list")))) == 50
    assert shown(client.get(url("flow_list"), {"page": 2})) == ["EHR>Lab:Set 50"]


# --- authorization and isolation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)],
)
def test_read_pages_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    flow(cast, *ehr_lab)
    client = client_for(user_of(cast, who))

    for name in ("flow_list", "flow_diagram", "flow_diagram_svg"):
        assert client.get(url(name)).status_code == expected, name


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_create_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    response = client_for(user_of(cast, who)).post(url("flow_create"), form_data(*ehr_lab))

    assert response.status_code == expected
    if who in ("owner", "official"):
        assert DataFlow.objects.get().ephi == "Claims (837)"
    else:
        assert not DataFlow.objects.exists()
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_edit_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    existing = flow(cast, *ehr_lab)

    response = client_for(user_of(cast, who)).post(url("flow_edit", existing.public_id), form_data(*ehr_lab))

    assert response.status_code == expected
    existing.refresh_from_db()
    if who in ("owner", "official"):
        assert existing.ephi == "Claims (837)"
    else:
        assert existing.ephi == "Lab results"
        assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 302)],
)
def test_delete_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    existing = flow(cast, *ehr_lab)

    response = client_for(user_of(cast, who)).post(url("flow_delete", existing.public_id))

    assert response.status_code == expected
    if who in ("owner", "official"):
        assert not DataFlow.objects.exists()
        assert AuditEvent.objects.filter(action="risk.flow.deleted").count() == 1
    else:
        assert DataFlow.objects.filter(pk=existing.pk).exists()
        assert not AuditEvent.objects.exists()


def test_delete_is_post_only(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    existing = flow(cast, *ehr_lab)

    assert client_for(cast.owner).get(url("flow_delete", existing.public_id)).status_code == 405
    assert DataFlow.objects.exists()


def test_another_organizations_flow_is_not_found(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    theirs = flow(cast, asset(cast, "A", org=cast.other_org), asset(cast, "B", org=cast.other_org), "Theirs")
    ours = flow(cast, *ehr_lab)
    owner = client_for(cast.owner)

    assert owner.get(url("flow_edit", theirs.public_id)).status_code == 404
    assert owner.post(url("flow_delete", theirs.public_id)).status_code == 404
    assert client_for(cast.outsider).post(url("flow_delete", ours.public_id, org="other")).status_code == 404
    assert DataFlow.objects.count() == 2
    assert "Theirs" not in owner.get(url("flow_list")).content.decode()
    assert "Theirs" not in owner.get(url("flow_diagram_svg")).content.decode()


def test_the_form_offers_only_this_organizations_assets(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    theirs = asset(cast, "Their EHR", org=cast.other_org)
    ehr, _ = ehr_lab

    response = client_for(cast.owner).post(url("flow_create"), form_data(ehr, theirs))

    assert response.status_code == 200
    assert "destination" in response.context["form"].errors
    assert not DataFlow.objects.exists()


# --- create, edit, delete ---------------------------------------------------------------------------------------


def test_create_records_the_flow_and_returns_to_the_source_asset(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab

    response = client_for(cast.owner).post(url("flow_create"), form_data(ehr, lab, encrypted_in_transit="no"))

    made = DataFlow.objects.get()
    assert response["Location"] == url("asset_detail", ehr.public_id)
    assert (made.source, made.destination, made.transport, made.encrypted_in_transit) == (ehr, lab, "sftp", False)


def test_encryption_must_be_answered(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    response = client_for(cast.owner).post(url("flow_create"), form_data(*ehr_lab, encrypted_in_transit=""))

    assert "encrypted_in_transit" in response.context["form"].errors
    assert not DataFlow.objects.exists()


def test_a_loop_is_shown_on_the_destination_field(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, _ = ehr_lab

    response = client_for(cast.owner).post(url("flow_create"), form_data(ehr, ehr))

    assert response.status_code == 200
    assert "different one" in response.context["form"].errors["destination"][0]
    assert not AuditEvent.objects.exists()


def test_a_duplicate_flow_is_shown_on_the_ephi_field(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    flow(cast, *ehr_lab, "Claims (837)")

    response = client_for(cast.owner).post(url("flow_create"), form_data(*ehr_lab, ephi="claims (837)"))

    assert "already exists" in response.context["form"].errors["ephi"][0]
    assert DataFlow.objects.count() == 1


def test_the_new_flow_form_starts_from_the_asset_it_was_opened_from(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, _ = ehr_lab

    response = client_for(cast.owner).get(url("flow_create"), {"source": str(ehr.public_id)})

    assert response.context["form"]["source"].value() == str(ehr.public_id)


def test_edit_shows_the_current_values_and_saves_changes(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    existing = flow(cast, *ehr_lab, encrypted=False)
    client = client_for(cast.owner)
    form = client.get(url("flow_edit", existing.public_id)).context["form"]
    assert form["encrypted_in_transit"].value() == "no"

    response = client.post(url("flow_edit", existing.public_id), form_data(*ehr_lab, ephi="Lab results"))

    assert response["Location"] == url("flow_list")
    changes = AuditEvent.objects.get(action="risk.flow.updated").changes
    assert set(changes) == {"encrypted_in_transit", "transport"}


# --- the diagram ------------------------------------------------------------------------------------------------


def test_the_diagram_page_draws_the_inventory_inline(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    flow(cast, *ehr_lab, "Lab <orders>", encrypted=False)

    page = client_for(cast.auditor).get(url("flow_diagram")).content.decode()

    assert "<svg" in page
    assert "Lab &lt;orders&gt; (not encrypted)" in page
    assert "<orders>" not in page
    assert url("flow_diagram_svg") in page


def test_the_diagram_image_is_svg(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    flow(cast, *ehr_lab)

    response = client_for(cast.owner).get(url("flow_diagram_svg"))

    assert response["Content-Type"] == "image/svg+xml"
    body = response.content.decode()
    assert body.startswith("<svg") and body.endswith("</svg>")
    assert "EHR" in body and "Lab results" in body


def test_the_diagram_of_one_asset_draws_only_its_neighbourhood(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    flow(cast, ehr, lab, "Orders")
    flow(cast, asset(cast, "Billing"), asset(cast, "Clearinghouse"), "Claims")
    client = client_for(cast.owner)

    image = client.get(url("flow_diagram_svg"), {"asset": str(lab.public_id)}).content.decode()
    inline = str(client.get(url("flow_diagram"), {"asset": str(lab.public_id)}).context["svg"])

    assert image == inline
    assert "Orders" in image and "EHR" in image
    assert "Claims" not in image and "Clearinghouse" not in image


def test_the_diagram_of_an_unknown_or_foreign_asset_is_not_found(cast: Cast) -> None:
    theirs = asset(cast, "Theirs", org=cast.other_org)
    client = client_for(cast.owner)

    for name in ("flow_diagram", "flow_diagram_svg"):
        assert client.get(url(name), {"asset": str(theirs.public_id)}).status_code == 404
        assert client.get(url(name), {"asset": "not-a-uuid"}).status_code == 404


def test_the_diagram_image_leaves_out_retired_assets_without_flows(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    asset(cast, "Old PACS", status=Asset.Status.RETIRED)
    old_fax = asset(cast, "Old fax", status=Asset.Status.RETIRED)
    flow(cast, old_fax, ehr_lab[0], "Referrals")

    body = client_for(cast.owner).get(url("flow_diagram_svg")).content.decode()

    assert "Old PACS" not in body
    assert "Old fax" in body


@pytest.mark.parametrize("name", ["flow_diagram", "flow_diagram_svg"])
def test_the_diagram_query_count_does_not_grow_with_the_inventory(cast: Cast, name: str) -> None:
    hub = asset(cast, "Hub")
    client = client_for(cast.owner)

    def grow(start: int, upto: int) -> None:
        for n in range(start, upto):
            flow(cast, asset(cast, f"Peer {n:02}"), hub, f"Data {n}")

    grow(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(name)).status_code == 200
    grow(3, 30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(name)).status_code == 200

    assert len(many) == len(few)
