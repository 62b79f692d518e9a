"""`manage.py org_create`: an organization and its first owner, or a specific refusal with exit status 1."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from safeguard.core.models import AuditEvent, Membership, Organization, User
from safeguard.core.roles import Role
from tests.conftest import PASSWORD, make_user


def _run(*args: str) -> str:
    out = StringIO()
    call_command("org_create", *args, stdout=out)
    return out.getvalue()


def test_creates_the_organization_and_a_new_owner_without_a_password(db: None) -> None:
    output = _run("--slug", "acme", "--name", "Acme Health", "--owner-email", "Boss@Acme.test")
    organization = Organization.objects.get(slug="acme")
    assert (organization.name, organization.kind, organization.mfa_required) == ("Acme Health", "covered_entity", True)
    owner = User.objects.get(email="boss@acme.test")
    assert not owner.has_usable_password()
    assert Membership.objects.get(organization=organization).role == Role.OWNER
    assert list(AuditEvent.objects.filter(organization=organization).values_list("action", "actor_label")) == [
        ("membership.added", "system:org_create"),
        ("organization.created", "system:org_create"),
    ]
    assert "Created organization 'acme' (Acme Health, covered entity) with owner boss@acme.test." in output
    assert "python manage.py changepassword boss@acme.test" in output


def test_an_existing_account_becomes_owner_with_its_password_unchanged(db: None) -> None:
    user = make_user("someone@acme.test")
    output = _run("--slug", "acme", "--name", "Acme", "--owner-email", "someone@acme.test", "--kind", "hybrid")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Organization.objects.get(slug="acme").kind == "hybrid"
    assert "already had an account; its password is unchanged" in output


def test_password_prompt_sets_a_checked_password(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("safeguard.core.management.commands.org_create.getpass", lambda prompt: PASSWORD)
    _run("--slug", "acme", "--name", "Acme", "--owner-email", "boss@acme.test", "--owner-password-prompt")
    assert User.objects.get(email="boss@acme.test").check_password(PASSWORD)


def test_a_weak_prompted_password_creates_nothing(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("safeguard.core.management.commands.org_create.getpass", lambda prompt: "123")
    with pytest.raises(CommandError, match="Password refused: .*Nothing was created."):
        _run("--slug", "acme", "--name", "Acme", "--owner-email", "boss@acme.test", "--owner-password-prompt")
    assert not Organization.objects.exists() and not User.objects.exists()


def test_a_duplicate_slug_exits_1_and_names_the_slug(db: None) -> None:
    _run("--slug", "acme", "--name", "Acme", "--owner-email", "boss@acme.test")
    with pytest.raises(CommandError, match="An organization with the slug 'acme' already exists") as refusal:
        _run("--slug", "acme", "--name", "Other", "--owner-email", "new@other.test")
    assert refusal.value.returncode == 1
    assert not User.objects.filter(email="new@other.test").exists()
    assert Organization.objects.count() == 1


def test_a_bad_slug_is_refused_and_leaves_no_account_behind(db: None) -> None:
    with pytest.raises(CommandError, match="lowercase letters, digits and hyphens"):
        _run("--slug", "Not A Slug", "--name", "Acme", "--owner-email", "boss@acme.test")
    assert not User.objects.exists() and not AuditEvent.objects.exists()


def test_a_bad_email_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="'not-an-email' is not a valid email address."):
        _run("--slug", "acme", "--name", "Acme", "--owner-email", "not-an-email")


def test_from_the_shell_a_refusal_exits_with_status_1(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    _run("--slug", "acme", "--name", "Acme", "--owner-email", "boss@acme.test")
    utility = ManagementUtility(
        ["manage.py", "org_create", "--slug", "acme", "--name", "A", "--owner-email", "x@acme.test"]
    )
    with pytest.raises(SystemExit) as exit_info:
        utility.execute()
    assert exit_info.value.code == 1
    assert "already exists" in capsys.readouterr().err


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "org_create", "--help"]).execute()
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--owner-password-prompt" in text and "first owner" in text
