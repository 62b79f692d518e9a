"""Recovering an account (password reset or change, MFA reset) revokes what an intruder could keep using afterwards:
every API token and the calendar feed's address, audited in the same transaction as the recovery."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from safeguard.core.audit import Actor
from safeguard.core.models import ApiToken, AuditEvent, User
from safeguard.core.services import accounts
from safeguard.core.services.api_tokens import api_token_create, api_token_revoke
from safeguard.core.services.calendar import calendar_token_rotate
from tests.conftest import PASSWORD, Cast, client_for

NEW_PASSWORD = "a brand new passphrase 7391"


def credentials(user: User) -> tuple[list[str], str]:
    """Two API tokens and a calendar feed token, as an intruder holding the account would make them."""
    secrets = [
        api_token_create(user=user, actor=Actor(user=user), name=name, mfa_verified=False)[1]
        for name in ("laptop script", "backup job")
    ]
    return secrets, calendar_token_rotate(user=user, actor=Actor(user=user), mfa_verified=False)


def api_status(secret: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api.get("/api/v1/orgs/").status_code


def feed_status(token: str) -> int:
    return Client().get(reverse("calendar_feed", args=[token])).status_code


def assert_all_revoked(user: User, secrets: list[str], feed: str, *, reason: str) -> None:
    assert [api_status(secret) for secret in secrets] == [401, 401]
    assert feed_status(feed) == 404
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    user.refresh_from_db()
    assert (user.calendar_token, user.calendar_token_mfa_verified) == ("", False)
    revoked = AuditEvent.objects.filter(action="api_token.revoked", organization=None)
    assert revoked.count() == 2
    assert {tuple(e.changes["reason"]) for e in revoked} == {(None, reason)}
    feed_event = AuditEvent.objects.get(action="calendar.token_revoked")
    assert feed_event.changes == {"calendar_token": ["(set)", None], "reason": [None, reason]}
    assert feed not in str(feed_event.changes), "the secret itself is never written to the trail"


def test_password_reset_revokes_tokens_and_the_calendar_feed(cast: Cast) -> None:
    secrets, feed = credentials(cast.workforce)
    theirs, _ = api_token_create(user=cast.owner, actor=Actor(user=cast.owner), name="owner's", mfa_verified=False)
    assert [api_status(secret) for secret in secrets] == [200, 200] and feed_status(feed) == 200

    client = Client()
    client.post("/accounts/password-reset/", {"email": "nurse@clinic.test"})
    link = re.search(r"https?://testserver(/accounts/password-reset/\S+/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form = client.get(link.group(1), follow=True)
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )

    assert done.status_code == 200
    assert_all_revoked(cast.workforce, secrets, feed, reason="password reset")
    event = AuditEvent.objects.get(action="auth.password_reset_done")
    assert event.changes == {"api_tokens_revoked": [None, 2], "calendar_feed_revoked": [None, True]}
    assert "2 API tokens and your calendar feed address" in done.content.decode()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None, "nobody else's tokens are touched"


def test_password_change_revokes_tokens_and_the_calendar_feed(cast: Cast) -> None:
    secrets, feed = credentials(cast.workforce)
    client = client_for(cast.workforce)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/accounts/"
    assert_all_revoked(cast.workforce, secrets, feed, reason="password changed")
    assert "Also revoked, in case someone else had them: 2 API tokens and your calendar feed address." in (
        response.content.decode()
    )
    event = AuditEvent.objects.get(action="auth.password_changed")
    assert event.changes == {"api_tokens_revoked": [None, 2], "calendar_feed_revoked": [None, True]}


def test_mfa_reset_revokes_tokens_and_the_calendar_feed(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    secrets, feed = credentials(cast.official)
    call_command("mfa_reset", "--email", "so@clinic.test", "--reason", "ticket 812")
    assert_all_revoked(cast.official, secrets, feed, reason="MFA reset")
    assert set(AuditEvent.objects.filter(action="api_token.revoked").values_list("actor_label", flat=True)) == {
        "system:mfa_reset command"
    }
    reset = AuditEvent.objects.get(action="auth.mfa_reset")
    assert reset.changes["api_tokens_revoked"] == [None, 2]
    assert reset.changes["calendar_feed_revoked"] == [None, True]
    assert "Revoked 2 API token(s) and the calendar feed address" in capsys.readouterr().out


def test_already_revoked_tokens_are_left_alone_and_nothing_to_revoke_says_nothing(cast: Cast) -> None:
    token, _ = api_token_create(user=cast.workforce, actor=Actor(user=cast.workforce), name="old", mfa_verified=False)
    api_token_revoke(user=cast.workforce, actor=Actor(user=cast.workforce), token=token)
    token.refresh_from_db()
    revoked_at = token.revoked_at

    revoked = accounts.password_change(actor=Actor(user=cast.workforce), user=cast.workforce, password=NEW_PASSWORD)

    assert revoked == accounts.Revoked(api_tokens=0, calendar_feed=False)
    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
    assert not AuditEvent.objects.filter(action="calendar.token_revoked").exists()


def test_a_failed_revocation_undoes_the_whole_recovery(cast: Cast) -> None:
    secrets, feed = credentials(cast.workforce)
    before = AuditEvent.objects.count()
    with (
        mock.patch("safeguard.core.services.accounts.calendar_token_revoke", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        accounts.password_reset_complete(actor=Actor(user=cast.workforce), user=cast.workforce, password=NEW_PASSWORD)
    cast.workforce.refresh_from_db()
    assert cast.workforce.check_password(PASSWORD)
    assert [api_status(secret) for secret in secrets] == [200, 200]
    assert feed_status(feed) == 200
    assert AuditEvent.objects.count() == before
