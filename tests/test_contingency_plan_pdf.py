"""The printable plan: "Print (PDF)" queues a print that a background task renders into storage; the page follows
its state and offers the stored file with its SHA-256; only done prints count as the plan's last print. The print
view carries the header, the call tree as a nested list and the recovery order."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from safeguard.contingency.models import PlanPrint, PlanVersion
from safeguard.contingency.plan_pdf import plan_html, plan_pdf
from safeguard.contingency.services.plan_prints import plan_print_build, plan_print_request
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_plan_factories import a_print, approved, complete_draft, critical_asset, needs, plan

BASE = "/o/clinic/contingency/plans/"
State = PlanPrint.State


def request_print(client: Client, version: PlanVersion, capture: Any) -> PlanPrint:
    with capture(execute=True):
        response = client.post(f"{BASE}versions/{version.public_id}/prints/")
    printed = PlanPrint.objects.order_by("-pk").first()
    assert printed is not None
    assert response.status_code == 302 and response["Location"] == f"{BASE}prints/{printed.public_id}/"
    return printed


def test_printing_renders_in_the_background_and_serves_the_stored_file(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    auditor = client_for(cast.auditor)
    printed = request_print(auditor, version, django_capture_on_commit_callbacks)
    printed.refresh_from_db()
    assert (printed.state, printed.version, printed.printed_by) == (State.DONE, version, cast.auditor)
    assert printed.printed_at is not None and printed.failure == ""
    with default_storage.open(printed.stored_name, "rb") as stored:
        content = stored.read()
    assert content.startswith(b"%PDF") and printed.sha256 == hashlib.sha256(content).hexdigest()

    page = auditor.get(f"{BASE}prints/{printed.public_id}/").content.decode()
    assert printed.sha256 in page and f"{BASE}prints/{printed.public_id}/pdf/" in page
    assert 'http-equiv="refresh"' not in page
    download = auditor.get(f"{BASE}prints/{printed.public_id}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == content  # type: ignore[attr-defined]  # the stored file, not a new rendering
    assert download["X-Content-SHA256"] == printed.sha256

    actions = list(
        AuditEvent.objects.filter(object_id=str(version.public_id), action__startswith="contingency.plan_version.p")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["contingency.plan_version.print_requested", "contingency.plan_version.printed"]
    listing = client_for(cast.owner).get(BASE).content.decode()
    assert f"<td>{printed.printed_at.astimezone().date():%Y-%m-%d}</td>" in listing


def test_a_queued_print_shows_its_state_refreshes_and_has_no_download(cast: Cast) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    client = client_for(cast.owner)
    client.post(f"{BASE}versions/{version.public_id}/prints/")  # not committed: the task has not run
    printed = PlanPrint.objects.get()
    assert printed.state == State.QUEUED
    page = client.get(f"{BASE}prints/{printed.public_id}/").content.decode()
    assert "Queued" in page and 'http-equiv="refresh"' in page and "/pdf/" not in page
    assert client.get(f"{BASE}prints/{printed.public_id}/pdf/").status_code == 404
    assert "<td>Never</td>" in client.get(BASE).content.decode()


def test_a_failed_render_records_the_reason(cast: Cast, django_capture_on_commit_callbacks) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    client = client_for(cast.owner)
    with mock.patch("safeguard.contingency.plan_pdf.plan_pdf", side_effect=ValueError("no fonts")):
        printed = request_print(client, version, django_capture_on_commit_callbacks)
    printed.refresh_from_db()
    assert (printed.state, printed.failure, printed.sha256, printed.printed_at) == (
        State.FAILED,
        "The PDF could not be made: no fonts",
        "",
        None,
    )
    page = client.get(f"{BASE}prints/{printed.public_id}/").content.decode()
    assert "The PDF could not be made: no fonts" in page and "Print again" in page
    assert not AuditEvent.objects.filter(action="contingency.plan_version.printed").exists()


def test_an_unexpected_error_fails_the_print_and_propagates(cast: Cast) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    printed = a_print(version, cast.owner, State.QUEUED)
    with (
        mock.patch("safeguard.contingency.plan_pdf.plan_pdf", side_effect=KeyError("bug")),
        pytest.raises(KeyError),
    ):
        plan_print_build(print_id=printed.pk)
    printed.refresh_from_db()
    assert printed.state == State.FAILED and "unexpectedly" in printed.failure


def test_building_twice_renders_once(cast: Cast) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    printed = a_print(version, cast.owner, State.QUEUED)
    first = plan_print_build(print_id=printed.pk)
    assert first is not None and first.state == State.DONE
    with mock.patch("safeguard.contingency.plan_pdf.plan_pdf") as render:
        assert plan_print_build(print_id=printed.pk) is None
    render.assert_not_called()
    assert AuditEvent.objects.filter(action="contingency.plan_version.printed").count() == 1


def test_a_queued_request_is_reused_not_queued_twice(cast: Cast) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    first = plan_print_request(organization=cast.org, actor=Actor(user=cast.owner), version=version)
    again = plan_print_request(organization=cast.org, actor=Actor(user=cast.owner), version=version)
    other = plan_print_request(organization=cast.org, actor=Actor(user=cast.auditor), version=version)
    assert first.pk == again.pk != other.pk
    assert PlanPrint.objects.count() == 2


@pytest.mark.parametrize(("who", "expected"), [("auditor", 302), ("workforce", 403), ("outsider", 404)])
def test_who_may_print(cast: Cast, who: str, expected: int) -> None:
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    before = AuditEvent.objects.count()
    client = client_for(getattr(cast, who))
    assert client.post(f"{BASE}versions/{version.public_id}/prints/").status_code == expected
    assert client.get(f"{BASE}versions/{version.public_id}/prints/").status_code in (405, 403, 404)
    done = a_print(version, cast.owner)
    assert client.get(f"{BASE}prints/{done.public_id}/").status_code == (200 if expected == 302 else expected)
    if expected != 302:
        assert PlanPrint.objects.count() == 1 and AuditEvent.objects.count() == before


def test_another_organizations_print_is_not_found(cast: Cast) -> None:
    theirs = approved(
        plan(cast.other_org, cast.outsider), cast.outsider, cast.outsider, [critical_asset(cast.other_org, "EHR")]
    )
    printed = a_print(theirs, cast.outsider)
    client = client_for(cast.owner)
    assert client.post(f"{BASE}versions/{theirs.public_id}/prints/").status_code == 404
    assert client.get(f"{BASE}prints/{printed.public_id}/").status_code == 404
    assert client.get(f"{BASE}prints/{printed.public_id}/pdf/").status_code == 404
    assert PlanPrint.objects.count() == 1


def test_a_plan_never_printed_says_so(cast: Cast) -> None:
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    page = client_for(cast.owner).get(BASE).content.decode()
    assert "<td>Never</td>" in page


def test_the_print_view_has_the_header_call_tree_and_recovery_order(cast: Cast) -> None:
    directory, ehr = critical_asset(cast.org, "Directory", tier=2, rto=90), critical_asset(cast.org, "EHR", rto=240)
    needs(cast.org, ehr, directory)
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    html = client_for(cast.owner).get(f"{BASE}versions/{version.public_id}/print/").content
    text = html.decode()
    assert version.approved_at is not None
    assert "Printed on" in text and "by owner@clinic.test" in text
    assert f"{version.approved_at.astimezone():%Y-%m-%d} by so@clinic.test" in text
    # Dana calls Sam who calls the vendor desk: three nested lists.
    dana, sam, desk = (
        text.index("<strong>Dana Ortiz</strong>"),
        text.index("<strong>Sam Lee</strong>"),
        text.index("<strong>EHR Vendor Desk</strong>"),
    )
    assert dana < sam < desk
    assert text[dana:desk].count('<ul class="tree">') == 2
    assert "800-555-0199" in text
    rows = text[text.index("Recovery order</h2>") :]
    assert rows.index("Directory") < rows.index("EHR</td>")
    assert "<td>90</td>" in rows and "<td>240</td>" in rows
    assert not PlanPrint.objects.exists()  # reading on screen is not a printed copy


def test_a_draft_prints_with_a_warning(cast: Cast) -> None:
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [critical_asset(cast.org, "EHR")])
    assert "Draft — not approved" in plan_html(draft, Actor(user=cast.owner))


def test_a_normal_plan_prints_in_well_under_a_second(cast: Cast) -> None:
    assets = [critical_asset(cast.org, f"System {n:02d}", tier=1 + n % 4) for n in range(30)]
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, assets)
    plan_pdf(version, Actor(user=cast.owner))  # the first render loads fonts
    started = time.perf_counter()
    pdf = plan_pdf(version, Actor(user=cast.owner))
    elapsed = time.perf_counter() - started
    assert pdf.startswith(b"%PDF")
    assert elapsed < 3, f"rendering took {elapsed:.2f} s"  # generous: CI machines are slow and shared


def test_last_printed_is_about_the_approved_version_and_done_prints(cast: Cast) -> None:
    ehr = critical_asset(cast.org, "EHR")
    target = plan(cast.org, cast.owner)
    first = approved(target, cast.owner, cast.official, [ehr])
    a_print(first, cast.owner)
    second = approved(target, cast.owner, cast.official, [ehr])
    a_print(complete_draft(target, cast.owner, [ehr]), cast.owner)
    a_print(second, cast.owner, State.FAILED)
    a_print(second, cast.owner, State.QUEUED)
    owner = client_for(cast.owner)
    # v1's copy is out of date, a draft's copy is not the plan, and a print not done is no copy.
    assert "<td>Never</td>" in owner.get(BASE).content.decode()
    a_print(second, cast.owner)
    assert "<td>Never</td>" not in owner.get(BASE).content.decode()
