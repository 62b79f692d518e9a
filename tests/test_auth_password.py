"""Passwords: reset by email (the same answer whether or not the address is known), change, and idle sign-out."""

from __future__ import annotations

import re
import time

from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client

from safeguard.core.models import AuditEvent, User
from tests.conftest import PASSWORD, Cast, client_for
from tests.test_auth_support import actions, sign_in

NEW_PASSWORD = "a brand new passphrase 7391"


def _reset_link(body: str) -> str:
    match = re.search(r"https?://testserver(/accounts/password-reset/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_reset_emails_a_link_that_sets_a_new_password(cast: Cast) -> None:
    client = Client()
    response = client.post("/accounts/password-reset/", {"email": "nurse@clinic.test"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nurse@clinic.test"]
    assert mail.outbox[0].subject == "Reset your Safeguard password"

    form = client.get(_reset_link(str(mail.outbox[0].body)), follow=True)
    assert form.status_code == 200 and form.context["validlink"] is True
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password-reset/done/"
    cast.workforce.refresh_from_db()
    assert cast.workforce.check_password(NEW_PASSWORD)
    assert sign_in(Client(), "nurse@clinic.test", NEW_PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="auth.password_reset_done")
    assert (event.actor, event.organization) == (cast.workforce, None)

    reused = client.get(_reset_link(str(mail.outbox[0].body)), follow=True)
    assert reused.context["validlink"] is False, "a link works once"


def test_reset_answers_the_same_for_an_unknown_address(cast: Cast) -> None:
    known = Client().post("/accounts/password-reset/", {"email": "nurse@clinic.test"})
    unknown = Client().post("/accounts/password-reset/", {"email": "nobody@clinic.test"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mail.outbox] == [["nurse@clinic.test"]]


def test_reset_reaches_an_account_that_never_had_a_password_and_lets_it_sign_in(cast: Cast) -> None:
    newcomer = User.objects.create_user(email="new@clinic.test", password=None)
    assert not newcomer.has_usable_password()
    assert sign_in(Client(), "new@clinic.test", "").status_code == 200, "no password, no way in yet"
    client = Client()
    client.post("/accounts/password-reset/", {"email": "new@clinic.test"})
    assert [m.to for m in mail.outbox] == [["new@clinic.test"]]

    form = client.get(_reset_link(str(mail.outbox[0].body)), follow=True)
    assert form.status_code == 200 and form.context["validlink"] is True
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/password-reset/done/"

    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD)
    browser = Client()
    assert sign_in(browser, "new@clinic.test", NEW_PASSWORD)["Location"] == "/"
    assert browser.session["_auth_user_id"] == str(newcomer.pk)
    assert actions()[-2:] == ["auth.password_reset_done", "auth.login_succeeded"]


def test_reset_skips_a_deactivated_account(cast: Cast) -> None:
    User.objects.filter(pk=cast.workforce.pk).update(is_active=False)
    Client().post("/accounts/password-reset/", {"email": "nurse@clinic.test"})
    assert mail.outbox == []


def test_reset_lifts_a_lockout(cast: Cast) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "nurse@clinic.test", "wrong password")
    assert sign_in(client, "nurse@clinic.test").status_code == 429
    client.post("/accounts/password-reset/", {"email": "nurse@clinic.test"})
    form = client.get(_reset_link(str(mail.outbox[0].body)), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not AccessAttempt.objects.filter(username="nurse@clinic.test").exists()
    assert sign_in(client, "nurse@clinic.test", NEW_PASSWORD).status_code == 302


def test_change_password_needs_the_old_one(cast: Cast) -> None:
    client = client_for(cast.workforce)
    refused = client.post(
        "/accounts/password/",
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert refused.status_code == 200
    cast.workforce.refresh_from_db()
    assert cast.workforce.check_password(PASSWORD)
    assert actions() == []


def test_change_password_keeps_this_session_and_audits(cast: Cast) -> None:
    client = client_for(cast.workforce)
    other_session = client_for(cast.workforce)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == "/accounts/"
    cast.workforce.refresh_from_db()
    assert cast.workforce.check_password(NEW_PASSWORD)
    assert client.get("/accounts/").status_code == 200
    assert other_session.get("/accounts/").status_code == 302, "other sessions end"
    assert actions() == ["auth.password_changed"]


def test_change_password_applies_the_validators(cast: Cast) -> None:
    client = client_for(cast.workforce)
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert actions() == []


def test_idle_session_is_signed_out_with_a_message(cast: Cast) -> None:
    client = client_for(cast.workforce)
    session = client.session
    session["last_seen"] = int(time.time()) - (settings.SESSION_IDLE_MINUTES * 60 + 5)
    session.save()
    response = client.get("/accounts/", follow=True)
    assert response.redirect_chain[0][0] == "/accounts/login/?next=/accounts/"
    assert f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_active_session_stays_signed_in(cast: Cast) -> None:
    client = client_for(cast.workforce)
    session = client.session
    session["last_seen"] = int(time.time()) - (settings.SESSION_IDLE_MINUTES * 60 - 60)
    session.save()
    assert client.get("/accounts/").status_code == 200
    assert client.session["last_seen"] >= int(time.time()) - 5, "activity moves the idle clock"
