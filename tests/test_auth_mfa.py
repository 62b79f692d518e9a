"""Two-step sign-in: enrolling an authenticator app, codes at sign-in, recovery codes, organizations requiring MFA."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.test_auth_support import actions, enroll, next_code, sign_in, wrong_code

NOT_VALID = "That code is not valid. Codes change every 30 seconds."


@pytest.fixture(autouse=True)
def _no_code_throttle(settings):
    """django-otp waits 1 s, 2 s, 4 s… after a wrong code; most tests here type the right one straight after."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_enrollment_shows_qr_and_secret_then_confirms_with_a_code(cast: Cast) -> None:
    client = client_for(cast.owner)
    page = client.get("/accounts/mfa/setup/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=cast.owner)
    assert device.confirmed is False
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert client.get("/accounts/mfa/setup/").context["secret"] == page.context["secret"], "same device on reload"

    response = client.post("/accounts/mfa/setup/", {"code": next_code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in response.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed is True
    assert StaticToken.objects.filter(device__user=cast.owner).count() == 10
    assert actions() == ["auth.mfa_setup_started", "auth.mfa_enrolled"], "the reload reused the device, unaudited"
    assert client.get("/accounts/").context["verified"] is True, "enrolling verifies the session"


def test_enrollment_refuses_a_wrong_code(cast: Cast) -> None:
    client = client_for(cast.owner)
    client.get("/accounts/mfa/setup/")
    device = TOTPDevice.objects.get(user=cast.owner)
    response = client.post("/accounts/mfa/setup/", {"code": wrong_code(device)})
    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert not StaticDevice.objects.filter(user=cast.owner).exists()
    assert actions() == ["auth.mfa_setup_started"]


def test_sign_in_with_a_device_needs_the_code_before_the_session_exists(cast: Cast) -> None:
    _, device, _ = enroll(cast.owner)
    client = Client()
    response = sign_in(client, "owner@clinic.test", next="/o/clinic/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/verify/?next=%2Fo%2Fclinic%2F"
    assert "_auth_user_id" not in client.session, "the password alone does not sign in"
    assert client.get("/accounts/").status_code == 302

    done = client.post("/accounts/mfa/verify/", {"code": next_code(device), "next": "/o/clinic/"})
    assert done.status_code == 302
    assert done["Location"] == "/o/clinic/"
    assert client.session["_auth_user_id"] == str(cast.owner.pk)
    assert client.get("/accounts/").context["verified"] is True
    event = AuditEvent.objects.filter(action="auth.login_succeeded").get()
    assert (event.actor, event.changes) == (cast.owner, {"method": "totp"})


def test_wrong_code_is_refused_and_audited(cast: Cast) -> None:
    _, device, _ = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    response = client.post("/accounts/mfa/verify/", {"code": wrong_code(device)})
    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert actions() == ["auth.mfa_setup_started", "auth.mfa_enrolled", "auth.mfa_failed"]
    assert AuditEvent.objects.get(action="auth.mfa_failed").actor == cast.owner


def test_a_used_code_cannot_be_replayed(cast: Cast) -> None:
    _, device, _ = enroll(cast.owner)
    first, second = Client(), Client()
    code = next_code(device)
    sign_in(first, "owner@clinic.test")
    assert first.post("/accounts/mfa/verify/", {"code": code}).status_code == 302
    sign_in(second, "owner@clinic.test")
    response = second.post("/accounts/mfa/verify/", {"code": code})
    assert response.status_code == 200
    assert NOT_VALID in response.content.decode()


def test_five_wrong_codes_sign_the_session_out(cast: Cast, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 50  # isolate the session's own counter from the account lockout
    _, device, _ = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    for _ in range(4):
        assert client.post("/accounts/mfa/verify/", {"code": wrong_code(device)}).status_code == 200
    out = client.post("/accounts/mfa/verify/", {"code": wrong_code(device)}, follow=True)
    assert out.redirect_chain[-1][0] == "/accounts/login/"
    assert "You were signed out after too many wrong codes." in out.content.decode()
    assert client.post("/accounts/mfa/verify/", {"code": next_code(device)})["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert actions().count("auth.mfa_failed") == 5


def test_wrong_codes_count_toward_the_account_lockout(cast: Cast) -> None:
    _, device, _ = enroll(cast.owner)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "owner@clinic.test", "wrong password")
    assert sign_in(client, "owner@clinic.test").status_code == 302
    locked = client.post("/accounts/mfa/verify/", {"code": wrong_code(device)})
    assert locked.status_code == 429
    assert sign_in(Client(), "owner@clinic.test").status_code == 429, "now even the password step is refused"


def test_recovery_code_works_once(cast: Cast) -> None:
    _, _, codes = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    response = client.post("/accounts/mfa/verify/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.owner.pk)
    assert StaticToken.objects.filter(device__user=cast.owner).count() == 9
    event = AuditEvent.objects.get(action="auth.recovery_code_used")
    assert (event.actor, event.changes) == (cast.owner, {"remaining": 9})
    assert AuditEvent.objects.get(action="auth.login_succeeded").changes == {"method": "recovery_code"}

    again = Client()
    sign_in(again, "owner@clinic.test")
    refused = again.post("/accounts/mfa/verify/", {"code": codes[0]})
    assert refused.status_code == 200
    assert NOT_VALID in refused.content.decode()
    assert "_auth_user_id" not in again.session


def test_regenerating_recovery_codes_needs_a_fresh_code_and_replaces_the_old_ones(cast: Cast) -> None:
    client, device, old_codes = enroll(cast.owner)
    assert client.get("/accounts/mfa/recovery-codes/").status_code == 200
    refused = client.post("/accounts/mfa/recovery-codes/", {"code": wrong_code(device)})
    assert NOT_VALID in refused.content.decode()
    assert set(StaticToken.objects.values_list("token", flat=True)) == {c.replace("-", "") for c in old_codes}

    response = client.post("/accounts/mfa/recovery-codes/", {"code": next_code(device)})
    assert response.status_code == 200
    new_codes = response.context["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert set(StaticToken.objects.values_list("token", flat=True)) == {c.replace("-", "") for c in new_codes}
    assert actions() == [
        "auth.mfa_setup_started",
        "auth.mfa_enrolled",
        "auth.mfa_failed",
        "auth.recovery_codes_regenerated",
    ]


def test_regenerate_without_a_device_goes_to_setup(cast: Cast) -> None:
    response = client_for(cast.owner).post("/accounts/mfa/recovery-codes/", {"code": "123456"})
    assert response["Location"] == "/accounts/mfa/setup/"
    assert not StaticDevice.objects.exists()
    assert actions() == []


def test_reenrolling_needs_a_verified_session_then_replaces_the_device(cast: Cast) -> None:
    _, old_device, _ = enroll(cast.owner)
    unverified = client_for(cast.owner)  # signed in some other way, never verified
    response = unverified.get("/accounts/mfa/setup/")
    assert response["Location"] == "/accounts/mfa/verify/?next=%2Faccounts%2Fmfa%2Fsetup%2F"
    assert TOTPDevice.objects.filter(user=cast.owner).count() == 1

    assert unverified.post("/accounts/mfa/verify/", {"code": next_code(old_device)}).status_code == 302
    page = unverified.get("/accounts/mfa/setup/")
    assert page.context["replacing"] is True
    new_device = TOTPDevice.objects.get(user=cast.owner, confirmed=False)
    assert unverified.post("/accounts/mfa/setup/", {"code": next_code(new_device)}).status_code == 200
    assert list(TOTPDevice.objects.filter(user=cast.owner).values_list("pk", flat=True)) == [new_device.pk]
    assert (
        AuditEvent.objects.filter(action="auth.mfa_enrolled").latest("sequence").changes["replaced_earlier_device"]
        is True
    )


def test_org_requiring_mfa_sends_an_unverified_session_to_verify(cast: Cast) -> None:
    cast.org.mfa_required = True
    cast.org.save()
    _, device, _ = enroll(cast.owner)
    client = client_for(cast.owner)
    response = client.get("/o/clinic/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mfa/verify/?next=%2Fo%2Fclinic%2F"
    done = client.post("/accounts/mfa/verify/", {"code": next_code(device), "next": "/o/clinic/"})
    assert done["Location"] == "/o/clinic/"
    assert client.get("/o/clinic/").status_code == 200


def test_org_requiring_mfa_sends_a_member_without_a_device_to_enrollment(cast: Cast) -> None:
    cast.org.mfa_required = True
    cast.org.save()
    client = client_for(cast.official)
    verify = client.get("/o/clinic/", follow=True)
    assert [url for url, _ in verify.redirect_chain] == [
        "/accounts/mfa/verify/?next=%2Fo%2Fclinic%2F",
        "/accounts/mfa/setup/?next=%2Fo%2Fclinic%2F",
    ]
    device = TOTPDevice.objects.get(user=cast.official, confirmed=False)
    confirmed = client.post("/accounts/mfa/setup/", {"code": next_code(device), "next": "/o/clinic/"})
    assert 'href="/o/clinic/"' in confirmed.content.decode()
    assert client.get("/o/clinic/").status_code == 200


def test_org_without_mfa_lets_an_unverified_session_in(cast: Cast) -> None:
    assert client_for(cast.official).get("/o/clinic/").status_code == 200


def test_verify_refuses_an_offsite_next(cast: Cast) -> None:
    _, device, _ = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test", next="https://evil.example/")
    response = client.post("/accounts/mfa/verify/", {"code": next_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_verify_without_any_sign_in_goes_to_login(cast: Cast) -> None:
    response = client_for(None).post("/accounts/mfa/verify/", {"code": "123456"})
    assert response["Location"] == "/accounts/login/"
    assert actions() == []


def test_throttled_device_asks_to_wait_instead_of_counting_a_failure(cast: Cast, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    _, device, _ = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    client.post("/accounts/mfa/verify/", {"code": wrong_code(device)})
    response = client.post("/accounts/mfa/verify/", {"code": next_code(device)})
    assert response.status_code == 200
    assert "Too many wrong codes in a row. Wait" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert actions().count("auth.mfa_failed") == 1


def test_a_wrong_code_is_not_kept_in_the_lockout_records(cast: Cast) -> None:
    _, _, codes = enroll(cast.owner)
    client = Client()
    sign_in(client, "owner@clinic.test")
    near_miss = codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")
    client.post("/accounts/mfa/verify/", {"code": near_miss})
    attempt = AccessAttempt.objects.get(username="owner@clinic.test")
    assert near_miss not in attempt.post_data
    assert attempt.failures_since_start == 1
