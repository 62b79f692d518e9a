"""rules_validate and rules_pack: precise "file:rule:field: message" lines, exit 0 valid / 1 problems / 2 usage."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from safeguard.activity.models import DetectionRule
from safeguard.activity.rule_pack_files import PACK_DIR
from tests.activity_factories import BRUTE_FORCE_YAML, make_rule

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def test_valid_files_exit_zero(cast, tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text(BRUTE_FORCE_YAML)
    code, out, _ = run("rules_validate", str(path))
    assert code == 0 and "All rules are valid." in out


def test_the_shipped_pack_files_validate(cast):
    files = [str(path) for path in sorted(PACK_DIR.glob("*.yml")) if path.name != "pack.yml"]
    # The files refer to each other (ehr.yml counts nothing from authentication.yml), so each is valid alone.
    code, out, err = run("rules_validate", *files)
    assert code == 0, err


def test_each_problem_is_printed_as_file_rule_field_message_and_exits_one(cast, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text(BRUTE_FORCE_YAML.replace("outcome: failure", "outcome|bogus: failure"))
    code, _, err = run("rules_validate", str(path))
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:test_auth_failure:detection.selection.outcome|bogus: ")


def test_stored_rules_of_an_organization_are_compiled_together(cast):
    make_rule(cast.org, name="good_rule")
    code, out, _ = run("rules_validate", "--org", "clinic")
    assert code == 0
    DetectionRule.objects.filter(name="good_rule").update(yaml="title: broken\nname: good_rule\n")
    code, _, err = run("rules_validate", "--org", "clinic")
    assert code == 1 and err.startswith("clinic:good_rule:")


def test_a_file_may_count_the_organizations_stored_rules_when_org_is_given(cast, tmp_path):
    make_rule(cast.org, name="vip_seen")
    path = tmp_path / "corr.yml"
    path.write_text(
        "title: Many VIP views\nname: many_vip\ncorrelation:\n  type: event_count\n  rules: [vip_seen]\n"
        "  group-by: [user_name]\n  timespan: 1h\n  condition: {gte: 3}\n"
    )
    assert run("rules_validate", str(path))[0] == 1
    assert run("rules_validate", "--org", "clinic", str(path))[0] == 0


@pytest.mark.parametrize(
    "args",
    [("rules_validate",), ("rules_validate", "/nonexistent/rules.yml"), ("rules_validate", "--org", "nope")],
)
def test_usage_errors_exit_two(cast, args):
    assert run(*args)[0] == 2


def test_rules_pack_installs_reports_and_supports_a_dry_run(cast):
    code, out, _ = run("rules_pack", "--org", "clinic", "--dry-run")
    assert code == 0 and "31 would be created" in out
    assert not DetectionRule.objects.exists()
    code, out, _ = run("rules_pack", "--org", "clinic")
    assert code == 0 and "31 created" in out and "created: auth_password_spray" in out
    code, out, _ = run("rules_pack", "--org", "clinic")
    assert "0 created, 0 updated, 0 kept, 31 unchanged" in out
    assert run("rules_pack", "--org", "nope")[0] == 2
