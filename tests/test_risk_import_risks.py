"""Risk imports: every bad cell reported by row and the file's column with nothing committed, new risks into the
draft analysis or the register, updates by reference through the risk services, labels, and the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import (
    AssetKind,
    ImportJob,
    Risk,
    RiskAnalysis,
    Threat,
    ThreatSource,
    Treatment,
    Vulnerability,
    VulnerabilityArea,
)
from safeguard.risk.services.analyses import analysis_start
from safeguard.risk.services.import_risk_rows import split_assets
from safeguard.risk.services.import_rows import guess_mapping
from safeguard.risk.services.imports import ImportRejected, import_apply, import_map
from safeguard.risk.services.method import method_update
from safeguard.risk.services.risks import risk_create
from tests.conftest import Cast
from tests.test_risk_import_support import RISK_HEADER, Capture, actions, asset, checked, committed, csv_file, start

State = ImportJob.State
CITATION_A, CITATION_B = "164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)"
# A register kept in a spreadsheet, with headers of its own.
OWN_HEADERS = "Ref,Risk,Systems,Threat,Vulnerability,Likelihood,Impact,Citations,Risk owner"
OWN_MAPPING = {
    "reference": "Ref",
    "title": "Risk",
    "assets": "Systems",
    "threat": "Threat",
    "vulnerability": "Vulnerability",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "requirements": "Citations",
    "owner": "Risk owner",
}
CLEAN_ROW = ",Stolen laptop,EHR,Ransomware,Unpatched servers,2,3,,so@clinic.test"


@pytest.fixture
def library(cast: Cast) -> tuple[Threat, Vulnerability]:
    threat = Threat.objects.create(organization=cast.org, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    weakness = Vulnerability.objects.create(
        organization=cast.org, name="Unpatched servers", area=VulnerabilityArea.TECHNICAL
    )
    return threat, weakness


def draft(cast: Cast) -> RiskAnalysis:
    return analysis_start(organization=cast.org, actor=Actor(user=cast.official), title="2026 analysis")


def record(cast: Cast, title: str = "Ransomware on the EHR", **values: Any) -> Risk:
    analysis = values.pop("analysis", None)
    return risk_create(organization=cast.org, actor=Actor(user=cast.official), analysis=analysis, title=title, **values)


def own_file(*rows: str) -> Any:
    return csv_file(OWN_HEADERS + "\n" + "".join(f"{row}\n" for row in rows), "register.csv")


def apply(cast: Cast, text: str, mapping: dict[str, str]) -> Any:
    table = tabular.read_table(text.encode(), "csv")
    return import_apply(
        organization=cast.org, actor=Actor(user=cast.owner), kind="risks", table=table, mapping=mapping, file_name="x"
    )


# ---- the mapping -------------------------------------------------------------------------------------------------


def test_a_spreadsheets_own_headers_are_guessed() -> None:
    headers = ["Risk ID", "Risk", "Affected assets", "Threat event", "Current security measures", "Likelihood"]
    assert guess_mapping("risks", [*headers, "Residual impact", "HIPAA citations", "Risk owner"]) == {
        "reference": "Risk ID",
        "title": "Risk",
        "assets": "Affected assets",
        "threat": "Threat event",
        "existing_controls": "Current security measures",
        "likelihood": "Likelihood",
        "residual_impact": "Residual impact",
        "requirements": "HIPAA citations",
        "owner": "Risk owner",
    }


def test_asset_names_split_on_semicolons_even_when_a_name_holds_one(cast: Cast) -> None:
    ehr, odd = asset(cast, "EHR"), asset(cast, "Billing; claims")
    known = {item.name.lower(): item for item in (ehr, odd)}
    assert split_assets("ehr; Billing; claims;", known) == ([ehr, odd], [])
    assert split_assets("EHR;Ghost; EHR", known) == ([ehr], ["Ghost"])


# ---- the checks: each bad cell by row and column, nothing committed -----------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (",Laptop,EHR,,,7,3,,", "Likelihood", "likelihood 7 is outside the 5×5 matrix (1–5)."),
        (",Laptop,EHR,,,2,0,,", "Impact", "impact 0 is outside the 5×5 matrix (1–5)."),
        (
            ",Laptop,EHR,,,Sometimes,3,,",
            "Likelihood",
            "'Sometimes' is not a likelihood of the 5×5 matrix: give 1–5 or one of Rare, Unlikely, Possible, "
            "Likely, Almost certain.",
        ),
        (
            ",Laptop,EHR; Ghost,,,2,3,,",
            "Systems",
            "No asset named 'Ghost' in the inventory: add an asset first, or fix the name.",
        ),
        (
            ",Laptop,Fax,,,2,3,,",
            "Systems",
            "“Fax” is not in the scope of “2026 analysis”; add it to the scope first.",
        ),
        (
            f",Laptop,EHR,,,2,3,{CITATION_A}; 164.999(z),",
            "Citations",
            "Not a citation of the catalog: '164.999(z)' (e.g. 164.308(a)(1)(ii)(A)).",
        ),
        (
            ",Laptop,EHR,,,2,3,,nobody@else.test",
            "Risk owner",
            "No current member (other than an auditor) has the email 'nobody@else.test'.",
        ),
        (
            ",Laptop,EHR,,,2,3,,auditor@firm.test",
            "Risk owner",
            "No current member (other than an auditor) has the email 'auditor@firm.test'.",
        ),
        (
            ",Laptop,EHR,Meteor,,2,3,,",
            "Threat",
            "No threat named 'Meteor' in the library: add it there first, or fix the name.",
        ),
        (",,EHR,,,2,3,,", "Risk", "Give the risk a title, e.g. “Ransomware encrypts the EHR server”."),
    ],
)
def test_a_bad_cell_is_reported_by_row_and_the_files_column_and_nothing_is_committed(
    cast: Cast,
    django_capture_on_commit_callbacks: Capture,
    library: tuple[Threat, Vulnerability],
    row: str,
    column: str,
    message: str,
) -> None:
    asset(cast, "EHR")
    draft(cast)
    asset(cast, "Fax", AssetKind.ENDPOINT)  # in service after the analysis started: outside its scope
    job = checked(cast, django_capture_on_commit_callbacks, own_file(CLEAN_ROW, row), "risks", OWN_MAPPING)
    assert job.state == State.INVALID
    assert job.errors == [{"row": 3, "column": column, "message": message}]
    assert job.preview == []
    with pytest.raises(ImportRejected) as rejected:
        apply(cast, OWN_HEADERS + "\n" + CLEAN_ROW + "\n" + row + "\n", OWN_MAPPING)
    assert rejected.value.failure == "1 error in 1 row: nothing was committed."
    assert not Risk.objects.exists()
    assert "risk.created" not in actions()


def test_a_reference_repeated_in_the_file_is_an_error_but_a_repeated_title_is_not(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    record(cast)
    text = (
        RISK_HEADER
        + "\nR-0001,Ransomware,,,,,,,,,,,,\nr-1,Ransomware,,,,,,,,,,,,\n,Same,,,,,,,,,,,,\n,Same,,,,,,,,,,,,\n"
    )
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert job.errors == [
        {"row": 3, "column": "reference", "message": "Duplicates row 2: each risk appears once in a file."}
    ]
    assert Risk.objects.count() == 1


def test_every_bad_cell_of_a_row_is_listed_in_column_order(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = RISK_HEADER + "\n,Laptop,Ghost,Meteor,Rust,,,9,,,0,,164.999,x@y.test\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert [error["column"] for error in job.errors] == [
        "assets",
        "threat",
        "vulnerability",
        "likelihood",
        "residual_likelihood",
        "requirements",
        "owner",
    ]


# ---- new risks -------------------------------------------------------------------------------------------------


def test_a_clean_file_records_new_risks_in_the_draft_analysis_through_the_risk_service(
    cast: Cast, django_capture_on_commit_callbacks: Capture, library: tuple[Threat, Vulnerability]
) -> None:
    ehr, lab = asset(cast, "EHR"), asset(cast, "Lab", AssetKind.SERVER)
    analysis = draft(cast)
    text = (
        RISK_HEADER + "\n"
        f",Ransomware on the EHR,EHR; lab,ransomware,UNPATCHED SERVERS, Encrypts charts ,Backups,Likely,Major,"
        f"EDR,unlikely,4,{CITATION_A}; {CITATION_B},SO@clinic.test\n"
        "R-0042,Lost paper charts,,,,,,2,2,,,,,\n"
    )
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert job.state == State.READY, job.errors
    assert job.preview[0] == {
        "row": 2,
        "action": "create",
        "values": {
            "reference": "",
            "title": "Ransomware on the EHR",
            "assets": "EHR; Lab",
            "threat": "Ransomware",
            "vulnerability": "Unpatched servers",
            "description": "Encrypts charts",
            "existing_controls": "Backups",
            "likelihood": "4",
            "impact": "4",
            "planned_controls": "EDR",
            "residual_likelihood": "2",
            "residual_impact": "4",
            "requirements": f"{CITATION_A}; {CITATION_B}",
            "owner": "so@clinic.test",
        },
        "changes": [],
    }
    before = actions()
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count) == (State.COMMITTED, 2, 0)
    first, second = Risk.objects.order_by("number")
    # The file's own reference is not kept: new risks are numbered as usual.
    assert (first.reference, second.reference) == ("R-0001", "R-0002")
    assert (first.analysis, first.owner, first.threat, first.vulnerability) == (
        analysis,
        cast.official,
        *library,
    )
    assert set(first.assets.all()) == {ehr, lab}
    assert sorted(first.requirements.values_list("citation", flat=True)) == [CITATION_A, CITATION_B]
    assert (first.likelihood, first.impact, first.inherent_score, first.inherent_level) == (4, 4, 16, "high")
    assert (first.residual_score, first.residual_level, first.description) == (8, "medium", "Encrypts charts")
    assert actions()[len(before) :] == ["risk.created", "risk.created", "risk.import.committed"]
    event = AuditEvent.objects.get(action="risk.import.committed")
    assert event.changes["analysis"] == [None, str(analysis.public_id)]
    assert {event.actor for event in AuditEvent.objects.filter(action="risk.created")} == {cast.owner}


def test_without_an_open_analysis_new_risks_go_into_the_register_rated_by_the_organizations_method(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    method_update(organization=cast.org, actor=Actor(user=cast.official), profile="3x3")
    text = RISK_HEADER + "\n,Flood in the server room,,,,,,High,medium,,low,1,,\n,Too likely,,,,,,4,1,,,,,\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert job.errors == [
        {"row": 3, "column": "likelihood", "message": "likelihood 4 is outside the 3×3 matrix (1–3)."}
    ]
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text.rsplit(",Too", 1)[0]), "risks")
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert job.state == State.COMMITTED, job.failure
    flood = Risk.objects.get()
    assert (flood.analysis, flood.likelihood, flood.impact, flood.inherent_level) == (None, 3, 2, "high")
    assert (flood.residual_likelihood, flood.residual_impact) == (1, 1)
    assert AuditEvent.objects.get(action="risk.import.committed").changes["analysis"] == [None, None]


# ---- updates ---------------------------------------------------------------------------------------------------


def test_a_reference_updates_that_risks_assessment_with_only_what_changed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr = asset(cast, "EHR")
    analysis = draft(cast)
    risk = record(cast, analysis=analysis, assets=[ehr], likelihood=2, impact=3, description="Old")
    text = "Ref,Risk,Likelihood,Description\nr7,Other,1,\nR-0001,Ransomware on the EHR,4,Old\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert [(row["action"], row["changes"]) for row in job.preview] == [("create", []), ("update", ["likelihood"])]
    assert job.preview[1]["values"]["assets"] == "EHR"  # unmapped columns show what the risk keeps
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.created_count, job.updated_count) == (1, 1)
    risk.refresh_from_db()
    assert (risk.likelihood, risk.impact, risk.inherent_score, risk.description) == (4, 3, 12, "Old")
    assert list(risk.assets.all()) == [ehr]
    assessed = AuditEvent.objects.get(action="risk.assessed")
    assert assessed.changes["likelihood"] == [2, 4] and assessed.object_id == str(risk.public_id)


def test_a_change_to_a_risk_of_the_approved_analysis_is_refused_but_an_unchanged_row_is_not(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    analysis = draft(cast)
    kept = record(cast, "Kept", analysis=analysis, likelihood=2, impact=2)
    record(cast, "Changed", analysis=analysis, likelihood=2, impact=2)
    RiskAnalysis.objects.filter(pk=analysis.pk).update(status=RiskAnalysis.Status.APPROVED)
    text = "reference,title,likelihood\nR-0001,Kept,2\nR-0002,Changed,5\n,New between analyses,1\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert job.errors == [
        {
            "row": 3,
            "column": "reference",
            "message": "R-0002 is part of the approved analysis “2026 analysis”; start a new analysis to re-rate it.",
        }
    ]
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text.replace(",5\n", ",2\n")), "risks")
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count) == (State.COMMITTED, 1, 2)
    assert Risk.objects.get(title="New between analyses").analysis is None
    assert Risk.objects.get(pk=kept.pk).analysis == analysis


def test_a_change_to_a_closed_risk_is_refused(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    risk = record(cast, likelihood=2, impact=2)
    Risk.objects.filter(pk=risk.pk).update(status=Risk.Status.CLOSED)
    job = checked(cast, django_capture_on_commit_callbacks, csv_file("reference,title\nR-0001,Renamed\n"), "risks")
    assert job.errors == [
        {"row": 2, "column": "reference", "message": "R-0001 is closed; reopen it before re-rating it."}
    ]


def test_no_risk_can_be_imported_while_the_open_analysis_is_in_review(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    analysis = draft(cast)
    job = start(cast, csv_file("title\nLaptop\n"), "risks")  # uploaded while the analysis was a draft
    RiskAnalysis.objects.filter(pk=analysis.pk).update(status=RiskAnalysis.Status.IN_REVIEW)
    message = (
        "“2026 analysis” is in review, so risks cannot be imported into it: return it to draft, or approve it and "
        "start a new analysis, then import the file."
    )
    with pytest.raises(ServiceError) as refused:
        start(cast, csv_file("title\nLaptop\n"), "risks")
    assert (refused.value.message, refused.value.field) == (message, "kind")
    assert ImportJob.objects.count() == 1  # the second upload was refused before a job existed
    with django_capture_on_commit_callbacks(execute=True):
        import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping={"title": "title"})
    job.refresh_from_db()
    assert (job.state, job.failure) == (State.FAILED, message)
    with pytest.raises(ImportRejected, match="is in review"):
        apply(cast, "title\nLaptop\n", {"title": "title"})
    assert not Risk.objects.exists()


# ---- owners ------------------------------------------------------------------------------------------------------


def test_a_new_owner_is_recorded_through_the_treatment_service(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    risk = record(cast, owner=cast.official)
    Risk.objects.filter(pk=risk.pk).update(treatment=Treatment.MITIGATE)
    job = checked(
        cast,
        django_capture_on_commit_callbacks,
        csv_file("reference,title,owner\nR-0001,Ransomware on the EHR,OWNER@clinic.test\n"),
        "risks",
    )
    assert job.preview[0]["changes"] == ["owner"]
    committed(cast, django_capture_on_commit_callbacks, job)
    risk.refresh_from_db()
    assert (risk.owner, risk.treatment) == (cast.owner, Treatment.MITIGATE)
    treated = AuditEvent.objects.get(action="risk.treated")
    assert treated.changes == {"owner": [str(cast.official.public_id), str(cast.owner.public_id)]}
    assert not AuditEvent.objects.filter(action="risk.assessed").exists()


def test_an_owner_who_has_left_is_kept_but_an_owner_cannot_be_removed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    record(cast, owner=cast.official)
    Membership.objects.filter(user=cast.official).update(is_active=False)
    kept = "reference,title,owner\nR-0001,Ransomware on the EHR,so@clinic.test\n"
    job = committed(
        cast,
        django_capture_on_commit_callbacks,
        checked(cast, django_capture_on_commit_callbacks, csv_file(kept), "risks"),
    )
    assert (job.state, job.updated_count) == (State.COMMITTED, 1)
    removed = checked(
        cast,
        django_capture_on_commit_callbacks,
        csv_file("reference,title,owner\nR-0001,Ransomware on the EHR,\n"),
        "risks",
    )
    assert removed.errors == [
        {
            "row": 2,
            "column": "owner",
            "message": "An import does not remove R-0001's owner: give the email of a current member.",
        }
    ]
    new = checked(cast, django_capture_on_commit_callbacks, csv_file("title,owner\nNew,so@clinic.test\n"), "risks")
    assert [error["column"] for error in new.errors] == ["owner"]
    assert Risk.objects.get().owner == cast.official
