"""tracker_evaluate and tracker_report: evaluation from the command line, and the verdict report."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.tracker import registry
from safeguard.tracker.management.commands import tracker_evaluate as evaluate_command
from safeguard.tracker.models import EvaluationRun, Status, Verdict
from safeguard.tracker.registry import CheckResult, RegisteredCheck
from safeguard.tracker.services import attestation_record
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
KEYS = {
    "citation",
    "title",
    "kind",
    "required",
    "verdict",
    "basis",
    "reason",
    "lapses_on",
    "next_action",
    "checks",
}


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# tracker_evaluate -------------------------------------------------------------------------------------------------


def test_tracker_evaluate_stores_verdicts_and_prints_progress_and_counts(cast: Cast) -> None:
    out, _ = run("tracker_evaluate", "--org", "clinic")
    assert "Riverside Clinic: 68 requirements evaluated, 68 changed. Progress: 2.1%." in out
    assert "  Met               1" in out
    # No risk analysis, risks, sanction policy, reminder, (a)(5) courses, and no log source for activity review.
    assert "  Not met          13" in out
    assert "  Unknown          34" in out
    assert "  Not applicable    5" in out
    assert Verdict.objects.filter(organization=cast.org).count() == 68
    assert not Verdict.objects.filter(organization=cast.other_org).exists()
    run_row = EvaluationRun.objects.get(organization=cast.org)
    assert (run_row.state, run_row.trigger, run_row.evaluated) == ("done", "tracker_evaluate command", 68)
    event = AuditEvent.objects.get(organization=cast.org, action="tracker.verdicts_changed")
    assert event.actor_label == "system:tracker_evaluate"

    again, _ = run("tracker_evaluate", "--org", "clinic")
    assert "68 requirements evaluated, 0 changed." in again


def test_tracker_evaluate_unknown_slug(cast: Cast) -> None:
    with pytest.raises(CommandError, match=r"^No organization with slug 'x'\.$"):
        run("tracker_evaluate", "--org", "x")
    assert not Verdict.objects.exists()
    assert not EvaluationRun.objects.exists()


def test_tracker_evaluate_unknown_slug_exits_1(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        evaluate_command.Command().run_from_argv(["manage.py", "tracker_evaluate", "--org", "x"])
    assert exited.value.code == 1
    assert "No organization with slug 'x'." in capsys.readouterr().err


# tracker_report ---------------------------------------------------------------------------------------------------


def test_report_json_has_one_entry_per_catalog_requirement_in_order(cast: Cast) -> None:
    out, err = run("tracker_report", "--org", "clinic", "--format", "json")
    entries = json.loads(out)

    assert "No evaluation stored yet for clinic: evaluating now." in err
    assert [e["citation"] for e in entries] == list(
        Requirement.objects.order_by("position").values_list("citation", flat=True)
    )
    assert len(entries) == 68
    for entry in entries:
        assert set(entry) == KEYS
        assert entry["kind"] in ("standard", "implementation_specification")
        assert isinstance(entry["required"], bool)
        assert entry["verdict"] in {s.value for s in Status}
        assert entry["basis"] in ("records", "attestation", "decision", "none")
        assert isinstance(entry["reason"], str) and entry["reason"]
        assert entry["lapses_on"] is None or date.fromisoformat(entry["lapses_on"])
        assert isinstance(entry["next_action"], str)
        assert isinstance(entry["checks"], list)
    first = entries[0]
    assert (first["citation"], first["title"], first["kind"], first["required"]) == (
        "164.308(a)(1)",
        "Security management process",
        "standard",
        True,
    )
    official = next(e for e in entries if e["citation"] == "164.308(a)(2)")
    assert (official["verdict"], official["basis"], official["checks"]) == (
        "met",
        "records",
        ["core.one_security_official"],
    )
    logoff = next(e for e in entries if e["citation"] == "164.312(a)(2)(iii)")
    assert (logoff["kind"], logoff["required"], logoff["verdict"]) == ("implementation_specification", False, "unknown")


def test_report_uses_the_stored_evaluation_when_there_is_one(cast: Cast) -> None:
    attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Policy issued.",
        expires_on=TODAY + timedelta(days=40),
        evidence_file=SimpleUploadedFile("policy.txt", b"policy", content_type="text/plain"),
    )
    run("tracker_evaluate", "--org", "clinic")
    out, err = run("tracker_report", "--org", "clinic", "--format", "json")
    assert err == ""
    entry = next(e for e in json.loads(out) if e["citation"] == "164.310(b)")
    assert (entry["verdict"], entry["basis"]) == ("met", "attestation")
    assert entry["lapses_on"] == (TODAY + timedelta(days=40)).isoformat()
    # Runs the writes queued ("attestation …", "evidence uploaded") aside, the command recorded exactly one.
    command_runs = EvaluationRun.objects.filter(organization=cast.org).exclude(
        trigger__regex=r"^(attestation|evidence)"
    )
    assert command_runs.count() == 1


def test_report_lists_registered_check_names(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh: dict[str, list[RegisteredCheck]] = {}
    monkeypatch.setattr(registry, "_checks", fresh)

    def failing(organization: object, today: date) -> CheckResult:
        return CheckResult(Status.NOT_MET, "No sanction policy.", next_action="Adopt a sanction policy.")

    registry.check("164.308(a)(1)(ii)(C)", name="risk.sanction_policy")(failing)
    registry.check("164.308(a)(1)(ii)(C)", name="risk.sanction_log")(failing)
    out, _ = run("tracker_report", "--org", "clinic", "--format", "json")
    entry = next(e for e in json.loads(out) if e["citation"] == "164.308(a)(1)(ii)(C)")
    assert entry["checks"] == ["risk.sanction_policy", "risk.sanction_log"]
    assert (entry["verdict"], entry["next_action"]) == ("not_met", "Adopt a sanction policy.")


def test_report_table_is_fixed_width_with_specifications_indented(cast: Cast) -> None:
    out, _ = run("tracker_report", "--org", "clinic")
    lines = out.rstrip("\n").split("\n")
    assert lines[0].split() == ["CITATION", "R/A", "VERDICT", "BASIS", "LAPSES", "ON", "TITLE"]
    assert set(lines[1]) == {"-", " "}
    assert len(lines) == 2 + 68
    standard = next(line for line in lines if line.startswith("164.308(a)(2) "))
    spec = next(line for line in lines if line.startswith("  164.308(a)(1)(ii)(A) "))
    assert standard.split()[1:4] == ["R", "met", "records"]
    assert spec.split()[1:4] == ["R", "not_met", "records"]  # no risk analysis on record
    # Columns line up: the verdict column starts at the same offset on every row.
    verdict_at = lines[0].index("VERDICT")
    assert {line[verdict_at - 1] for line in lines[2:]} == {" "}
    assert max(len(line) for line in lines) <= 22 + 4 + 15 + 12 + 10 + 44 + 2 * 5
    assert any("…" in line for line in lines)  # long titles are cut


def test_report_unknown_slug(cast: Cast) -> None:
    with pytest.raises(CommandError, match=r"^No organization with slug 'nope'\.$"):
        run("tracker_report", "--org", "nope", "--format", "json")


def test_report_rejects_unknown_format(cast: Cast) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        run("tracker_report", "--org", "clinic", "--format", "xml")
