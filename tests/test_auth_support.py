"""Helpers the auth tests share: signing in through the real pages and computing authenticator codes.

No tests live here.
"""

from __future__ import annotations

from django.test import Client
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.models import AuditEvent, User
from tests.conftest import PASSWORD


def next_code(device: TOTPDevice) -> str:
    """The code the app shows for the earliest time step the device has not accepted yet (no replays)."""
    device.refresh_from_db()
    now_step = TOTP(device.bin_key).t()
    step = max(now_step, device.last_t + 1)
    return f"{totp(device.bin_key, drift=step - now_step):06d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {f"{totp(device.bin_key, drift=d):06d}" for d in range(-3, 4)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666") if c not in right)


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra: str):
    return client.post("/accounts/login/", {"username": email, "password": password, **extra})


def enroll(user: User) -> tuple[Client, TOTPDevice, list[str]]:
    """Enroll `user` through the setup page; returns the verified client, the device and the recovery codes."""
    client = Client()
    client.force_login(user)
    assert client.get("/accounts/mfa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/mfa/setup/", {"code": next_code(device)})
    assert response.status_code == 200, response.content
    codes = list(response.context["codes"])
    return client, device, codes


def actions() -> list[str]:
    return list(AuditEvent.objects.filter(organization=None).order_by("sequence").values_list("action", flat=True))
