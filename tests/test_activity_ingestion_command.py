"""`manage.py events_ingest`: counts on stdout, rejects on stderr with line numbers, exit 0 / 1 / 2."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from safeguard.activity.models import IngestBatch
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes, write_lines


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return install_fakes(monkeypatch)


T1 = "2026-03-02T10:00:00+00:00"


def _run(*args: str) -> int:
    try:
        call_command("events_ingest", *args)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_all_accepted_exits_0_and_prints_counts(cast: Cast, fakes: Fakes, tmp_path, capsys) -> None:
    make_source(cast.org, name="EHR")
    path = write_lines(tmp_path / "a.ndjson", [{"uid": "a", "time": T1}, {"uid": "b", "time": T1}])
    assert _run("--source", "ehr", "--org", "clinic", str(path)) == 0
    out = capsys.readouterr().out
    assert "EHR: 2 lines read, 2 events stored, 0 already stored, 0 rejected" in out
    assert len(fakes.evaluations) == 1
    assert _run("--source", "EHR", "--org", "clinic", str(path), "--no-evaluate") == 0  # duplicates are fine
    assert "0 events stored, 2 already stored" in capsys.readouterr().out
    assert len(fakes.evaluations) == 1
    assert IngestBatch.objects.filter(channel="command").count() == 2


def test_rejected_lines_exit_1_with_line_numbers(cast: Cast, fakes: Fakes, tmp_path, capsys) -> None:
    make_source(cast.org)
    path = write_lines(tmp_path / "a.ndjson", [{"uid": "a", "time": T1}, {"bad": True}])
    assert _run("--source", "EHR", "--org", "clinic", str(path)) == 1
    assert "line 2, time: not a time" in capsys.readouterr().err


def test_wrong_format_exits_1(cast: Cast, fakes: Fakes, tmp_path, capsys) -> None:
    make_source(cast.org)
    fakes.parser.wrong_format = True
    assert _run("--source", "EHR", "--org", "clinic", str(write_lines(tmp_path / "a", [{}]))) == 1
    assert "Refused: This is not a fake file: the first line is not JSON. (nothing stored)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "Nope", "--org", "clinic"], "No log source named 'Nope' in clinic: use one of: EHR."),
        (["--source", "EHR", "--org", "nowhere"], "No organization with slug 'nowhere'."),
        (["--source", "EHR"], "Name the organization with --org SLUG: there are several."),
    ],
)
def test_usage_errors_exit_2(cast: Cast, fakes: Fakes, tmp_path, capsys, args: list[str], message: str) -> None:
    make_source(cast.org)
    path = write_lines(tmp_path / "a.ndjson", [{"uid": "a", "time": T1}])
    assert _run(*args, str(path)) == 2
    assert message in capsys.readouterr().err
    assert not IngestBatch.objects.exists()


def test_org_optional_when_there_is_one(cast: Cast, fakes: Fakes, tmp_path) -> None:
    cast.other_org.memberships.all().delete()
    cast.other_org.delete()
    make_source(cast.org)
    assert _run("--source", "EHR", str(write_lines(tmp_path / "a", [{"uid": "a", "time": T1}]))) == 0


def test_missing_file_exits_2(cast: Cast, fakes: Fakes, tmp_path, capsys) -> None:
    make_source(cast.org)
    assert _run("--source", "EHR", "--org", "clinic", str(tmp_path / "absent.ndjson")) == 2
    assert "No such file" in capsys.readouterr().err
