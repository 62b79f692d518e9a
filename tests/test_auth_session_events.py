"""Every sign-in and sign-out leaves one audit event, whichever page made it; starting MFA setup is audited once."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.models import AuditEvent, User
from tests.conftest import PASSWORD, Cast, client_for
from tests.test_auth_support import actions, enroll, next_code, sign_in


@pytest.fixture(autouse=True)
def _no_code_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def admin_sign_in(client: Client, device: TOTPDevice, code: str) -> int:
    fields = {"username": device.user.email, "password": PASSWORD, "otp_device": device.persistent_id}
    response = client.post(reverse("admin:login"), {**fields, "otp_token": code, "next": reverse("admin:index")})
    return response.status_code


def a_wrong_code(device: TOTPDevice) -> str:
    right = next_code(device)
    return "000000" if right != "000000" else "111111"


# ---- signing in ----------------------------------------------------------------------------------------------


def test_admin_site_sign_in_is_audited_once_with_its_second_factor(db: None) -> None:
    operator = User.objects.create_superuser(email="ops@safeguard.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=operator, name="app", confirmed=True)
    client = Client()

    assert admin_sign_in(client, device, next_code(device)) == 302

    assert client.session["_auth_user_id"] == str(operator.pk)
    event = AuditEvent.objects.get(action="auth.login_succeeded")
    assert (event.actor, event.organization) == (operator, None)
    assert event.changes == {"method": "totp", "path": "/admin/login/"}
    assert event.ip_address == "127.0.0.1"


def test_admin_site_refusal_signs_nobody_in_and_records_no_success(db: None) -> None:
    operator = User.objects.create_superuser(email="ops@safeguard.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=operator, name="app", confirmed=True)
    client = Client()
    assert admin_sign_in(client, device, a_wrong_code(device)) == 200
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="auth.login_succeeded").exists()


def test_safeguard_sign_in_pages_record_exactly_one_event(cast: Cast) -> None:
    """The signal receiver must not add a second event to those the sign-in pages write themselves."""
    assert sign_in(Client(), "nurse@clinic.test").status_code == 302
    _, device, _ = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    assert client.post("/accounts/mfa/verify/", {"code": next_code(device)}).status_code == 302
    successes = AuditEvent.objects.filter(action="auth.login_succeeded").order_by("sequence")
    assert [(e.actor, e.changes) for e in successes] == [
        (cast.workforce, {"method": "password"}),
        (cast.owner, {"method": "totp"}),
    ]


def test_test_client_force_login_is_not_a_sign_in(cast: Cast) -> None:
    """No page served it and nobody typed anything: nothing to audit (the whole suite relies on this)."""
    client = client_for(cast.owner)
    client.logout()
    assert not AuditEvent.objects.exists()


# ---- signing out ---------------------------------------------------------------------------------------------


def test_signing_out_is_audited(cast: Cast) -> None:
    client = client_for(cast.workforce)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.logged_out")
    assert (event.actor, event.organization, event.object_id) == (cast.workforce, None, str(cast.workforce.public_id))
    assert actions() == ["auth.logged_out"]


def test_signing_out_when_not_signed_in_writes_nothing(cast: Cast) -> None:
    assert Client().post("/accounts/logout/").status_code == 302
    assert not AuditEvent.objects.exists()


def test_admin_site_sign_out_is_audited(cast: Cast) -> None:
    operator = User.objects.create_superuser(email="ops@safeguard.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=operator, name="app", confirmed=True)
    client = Client()
    assert admin_sign_in(client, device, next_code(device)) == 302
    assert client.post(reverse("admin:logout")).status_code == 302
    assert actions() == ["auth.login_succeeded", "auth.logged_out"]
    assert AuditEvent.objects.get(action="auth.logged_out").actor == operator


def test_idle_sign_out_is_audited_as_an_expired_session_not_a_sign_out(cast: Cast) -> None:
    client = client_for(cast.workforce)
    session = client.session
    session["last_seen"] = int(time.time()) - (settings.SESSION_IDLE_MINUTES * 60 + 5)
    session.save()
    assert client.get("/accounts/")["Location"] == "/accounts/login/?next=/accounts/"
    assert actions() == ["auth.session_expired"]
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert (event.actor, event.organization) == (cast.workforce, None)
    assert event.changes == {"idle_minutes": settings.SESSION_IDLE_MINUTES}


def test_too_many_wrong_codes_sign_out_is_audited(cast: Cast) -> None:
    """A signed-in session asked for a code by its organization, signed out after five wrong ones."""
    _, device, _ = enroll(cast.owner)
    client = client_for(cast.owner)
    wrong = a_wrong_code(device)
    for _ in range(4):
        assert client.post("/accounts/mfa/verify/", {"code": wrong}).status_code == 200
    assert "_auth_user_id" in client.session
    assert client.post("/accounts/mfa/verify/", {"code": wrong}).status_code == 429
    assert "_auth_user_id" not in client.session
    assert actions()[-2:] == ["auth.mfa_failed", "auth.logged_out"]
    assert AuditEvent.objects.get(action="auth.logged_out").actor == cast.owner


# ---- MFA setup -----------------------------------------------------------------------------------------------


def test_opening_mfa_setup_audits_the_new_device_once(cast: Cast) -> None:
    client = client_for(cast.workforce)
    assert client.get("/accounts/mfa/setup/").status_code == 200
    assert client.get("/accounts/mfa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=cast.workforce)
    assert device.confirmed is False
    event = AuditEvent.objects.get(action="auth.mfa_setup_started")
    assert (event.actor, event.organization, event.object_id) == (cast.workforce, None, str(cast.workforce.public_id))
    assert event.changes == {"device": [None, "Authenticator app"]}
