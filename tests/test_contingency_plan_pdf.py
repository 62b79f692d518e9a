"""The printable plan: the PDF is a real PDF, each one handed out is recorded with its SHA-256 and shows as the
plan's last print; the print view carries the header, the call tree as a nested list and the recovery order."""

from __future__ import annotations

import hashlib
import time

from safeguard.contingency.models import PlanPrint
from safeguard.contingency.plan_pdf import plan_html, plan_pdf
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_plan_factories import approved, complete_draft, critical_asset, needs, plan


def test_downloading_the_pdf_records_a_print_with_its_hash(cast: Cast):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    response = client_for(cast.auditor).get(f"/o/clinic/contingency/plans/versions/{version.public_id}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    printed = PlanPrint.objects.get()
    assert (printed.version, printed.printed_by) == (version, cast.auditor)
    assert printed.sha256 == hashlib.sha256(response.content).hexdigest() == response["X-Content-SHA256"]
    assert (
        AuditEvent.objects.filter(action="contingency.plan_version.printed", object_id=str(version.public_id)).count()
        == 1
    )

    page = client_for(cast.owner).get("/o/clinic/contingency/plans/").content.decode()
    assert f"<td>{printed.printed_at.astimezone().date():%Y-%m-%d}</td>" in page


def test_a_plan_never_printed_says_so(cast: Cast):
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    page = client_for(cast.owner).get("/o/clinic/contingency/plans/").content.decode()
    assert "<td>Never</td>" in page


def test_the_print_view_has_the_header_call_tree_and_recovery_order(cast: Cast):
    directory, ehr = critical_asset(cast.org, "Directory", tier=2, rto=90), critical_asset(cast.org, "EHR", rto=240)
    needs(cast.org, ehr, directory)
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    html = client_for(cast.owner).get(f"/o/clinic/contingency/plans/versions/{version.public_id}/print/").content
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


def test_a_draft_prints_with_a_warning(cast: Cast):
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [critical_asset(cast.org, "EHR")])
    assert "Draft — not approved" in plan_html(draft, Actor(user=cast.owner))


def test_a_normal_plan_prints_in_well_under_a_second(cast: Cast):
    assets = [critical_asset(cast.org, f"System {n:02d}", tier=1 + n % 4) for n in range(30)]
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, assets)
    plan_pdf(version, Actor(user=cast.owner))  # the first render loads fonts
    started = time.perf_counter()
    pdf = plan_pdf(version, Actor(user=cast.owner))
    elapsed = time.perf_counter() - started
    assert pdf.startswith(b"%PDF")
    assert elapsed < 3, f"rendering took {elapsed:.2f} s"  # generous: CI machines are slow and shared


def test_last_printed_is_about_the_approved_version(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    target = plan(cast.org, cast.owner)
    first = approved(target, cast.owner, cast.official, [ehr])
    owner = client_for(cast.owner)
    owner.get(f"/o/clinic/contingency/plans/versions/{first.public_id}/pdf/")
    second = approved(target, cast.owner, cast.official, [ehr])
    draft = complete_draft(target, cast.owner, [ehr])
    owner.get(f"/o/clinic/contingency/plans/versions/{draft.public_id}/pdf/")
    # v1's copy is out of date and a draft's copy is not the plan: v2 was never printed.
    assert PlanPrint.objects.count() == 2
    assert "<td>Never</td>" in owner.get("/o/clinic/contingency/plans/").content.decode()
    owner.get(f"/o/clinic/contingency/plans/versions/{second.public_id}/pdf/")
    assert "<td>Never</td>" not in owner.get("/o/clinic/contingency/plans/").content.decode()
