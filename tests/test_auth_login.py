"""Signing in with email and password: one message for every refusal, lockout, safe redirects, signing out."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from safeguard.core.models import AuditEvent
from tests.conftest import PASSWORD, Cast, client_for
from tests.test_auth_support import actions, sign_in

WRONG = "Wrong email or password."


def test_right_password_signs_in_and_audits(cast: Cast) -> None:
    client = client_for(None)
    response = sign_in(client, "nurse@clinic.test")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(cast.workforce.pk)
    event = AuditEvent.objects.get(action="auth.login_succeeded")
    assert event.organization is None
    assert event.actor == cast.workforce
    assert event.changes == {"method": "password"}


def test_email_case_does_not_matter(cast: Cast) -> None:
    client = client_for(None)
    assert sign_in(client, "  Nurse@Clinic.TEST ").status_code == 302
    assert client.session["_auth_user_id"] == str(cast.workforce.pk)


@pytest.mark.parametrize(
    ("email", "password"),
    [("nurse@clinic.test", "not the password"), ("nobody@clinic.test", PASSWORD), ("nobody@clinic.test", "x")],
)
def test_wrong_email_or_password_gets_the_same_message_and_no_session(cast: Cast, email: str, password: str) -> None:
    client = client_for(None)
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.actor, event.actor_label, event.organization) == (None, email, None)
    assert event.changes == {"locked_out": False}


def test_inactive_account_is_refused_like_a_wrong_password(cast: Cast) -> None:
    cast.workforce.is_active = False
    cast.workforce.save()
    client = client_for(None)
    response = sign_in(client, "nurse@clinic.test")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_after_failure_limit_refuses_even_the_right_password(cast: Cast) -> None:
    client = client_for(None)
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert sign_in(client, "nurse@clinic.test", "wrong password").status_code == 200
    locked = sign_in(client, "nurse@clinic.test", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    right = sign_in(client, "nurse@clinic.test")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert actions().count("auth.login_failed") == limit + 1
    assert AuditEvent.objects.filter(action="auth.login_failed", changes__locked_out=True).count() >= 1
    assert not AuditEvent.objects.filter(action="auth.login_succeeded").exists()


def test_lockout_is_per_account_so_others_still_sign_in(cast: Cast) -> None:
    client = client_for(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "nurse@clinic.test", "wrong password")
    assert sign_in(client, "owner@clinic.test").status_code == 302


def test_success_resets_the_failure_count(cast: Cast) -> None:
    client = client_for(None)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "nurse@clinic.test", "wrong password")
    assert sign_in(client, "nurse@clinic.test").status_code == 302
    assert not AccessAttempt.objects.filter(username="nurse@clinic.test").exists()


def test_next_on_this_site_is_followed(cast: Cast) -> None:
    response = sign_in(client_for(None), "nurse@clinic.test", next="/o/clinic/")
    assert response["Location"] == "/o/clinic/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/", "javascript:alert(1)"]
)
def test_next_to_another_site_is_ignored(cast: Cast, target: str) -> None:
    client = client_for(None)
    page = client.get("/accounts/login/", {"next": target})
    assert target not in page.content.decode()
    response = sign_in(client, "nurse@clinic.test", next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_page_keeps_a_safe_next(cast: Cast) -> None:
    page = client_for(None).get("/accounts/login/", {"next": "/o/clinic/"})
    assert page.status_code == 200
    assert 'name="next" value="/o/clinic/"' in page.content.decode()


def test_logout_is_post_only_and_ends_the_session(cast: Cast) -> None:
    client = client_for(cast.workforce)
    assert client.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
