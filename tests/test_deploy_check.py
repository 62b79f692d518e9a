"""A production-like environment passes `manage.py check --deploy` with no warnings at all."""

from __future__ import annotations

import os
import secrets
import subprocess  # noqa: S404
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _check_deploy(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "safeguard.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "SAFEGUARD_DATA_DIR": str(tmp_path),
        **overrides,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr and "WARNINGS" not in result.stdout


@pytest.mark.parametrize(
    ("override", "check_id"),
    [({"SECURE_HSTS_SECONDS": "0"}, "security.W004"), ({"SECURE_COOKIES": "0"}, "security.W012")],
)
def test_weakened_settings_fail_the_deploy_check(tmp_path: Path, override: dict[str, str], check_id: str) -> None:
    result = _check_deploy(tmp_path, **override)
    assert result.returncode != 0
    assert check_id in result.stderr + result.stdout
