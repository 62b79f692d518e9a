"""Sign-in, MFA and password changes: the writes and the audit events of one person's account.

These events belong to no organization, so they go to the organization=None chain.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from axes.utils import reset as axes_reset
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import User
from safeguard.core.services.errors import ServiceError

WRONG_CODE = "That code is not valid. Codes change every 30 seconds."
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: recovery codes are read off paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a one-time code: the device it matched, or why it did not."""

    device: Device | None
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def login_record_success(*, actor: Actor, user: User, method: str) -> None:
    """`method` is how the second factor was given: "password" (none), "totp" or "recovery_code"."""
    with transaction.atomic():
        audit_record(
            actor=actor, action="auth.login_succeeded", organization=None, target=user, changes={"method": method}
        )


def login_record_failure(*, ip: str | None, email: str, locked_out: bool) -> None:
    """A failed password step. The account is not named by a foreign key: the typed email may match nobody."""
    actor = Actor(user=None, ip=ip, label=email.strip()[:254] or "(no email given)")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="auth.login_failed",
            organization=None,
            object_type="core.user",
            object_repr=actor.label,
            changes={"locked_out": locked_out},
        )


def mfa_device_start(*, actor: Actor, user: User) -> TOTPDevice:
    """The unconfirmed authenticator device the setup page shows; the same one until it is confirmed."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def mfa_enroll(*, actor: Actor, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm `device` with a code from it, replace any earlier device, and return fresh recovery codes."""
    if device.user_id != user.pk or device.confirmed:
        raise ServiceError("This enrollment has expired; start again.", field="code")
    if not device.verify_token(normalize_code(code)):
        raise ServiceError(WRONG_CODE, field="code")
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()[0] > 0
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=actor,
            action="auth.mfa_enrolled",
            organization=None,
            target=user,
            changes={"device": [None, device.name], "replaced_earlier_device": replaced},
        )
    return codes


def recovery_codes_regenerate(*, actor: Actor, user: User, code: str) -> list[str]:
    """New recovery codes, after a fresh code from the authenticator app; the old codes stop working."""
    device = confirmed_totp_device(user)
    if device is None:
        raise ServiceError("Set up an authenticator app first.", field="code")
    check = _check_device(device, normalize_code(code))
    if not check.ok:
        if not check.wait_seconds:
            mfa_record_failure(actor=actor, user=user, step="recovery_codes")
        raise ServiceError(refusal_message(check), field="code")
    with transaction.atomic():
        codes = _recovery_codes_replace(user)
        audit_record(
            actor=actor,
            action="auth.recovery_codes_regenerated",
            organization=None,
            target=user,
            changes={"count": len(codes)},
        )
    return codes


def mfa_check_code(*, actor: Actor, user: User, code: str) -> CodeCheck:
    """Check a sign-in code: six digits go to the authenticator app, anything else to the recovery codes.

    A recovery code is used up by matching. Failures are audited here; the caller counts them toward lockout.
    """
    code = normalize_code(code)
    device: Device | None
    if len(code) == 6 and code.isdigit():
        device = confirmed_totp_device(user)
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    check = _check_device(device, code) if device is not None else CodeCheck(None)
    if check.ok and isinstance(check.device, StaticDevice):
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="auth.recovery_code_used",
                organization=None,
                target=user,
                changes={"remaining": recovery_codes_left(user)},
            )
    elif not check.ok and not check.wait_seconds:
        mfa_record_failure(actor=actor, user=user, step="sign_in")
    return check


def mfa_record_failure(*, actor: Actor, user: User, step: str) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="auth.mfa_failed", organization=None, target=user, changes={"step": step})


def password_change(*, actor: Actor, user: User, password: str) -> None:
    """The signed-in person changed their own password (the form checked the old one and the validators)."""
    _password_set(actor=actor, user=user, password=password, action="auth.password_changed")


def password_reset_complete(*, actor: Actor, user: User, password: str) -> None:
    """A password set through an emailed reset link. It also lifts a sign-in lockout on the account."""
    _password_set(actor=actor, user=user, password=password, action="auth.password_reset_done")
    axes_reset(username=user.email)


def _password_set(*, actor: Actor, user: User, password: str, action: str) -> None:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action=action, organization=None, target=user)


def _check_device(device: Device, code: str) -> CodeCheck:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(None, wait_seconds=_throttle_wait(device, details))
    return CodeCheck(device if device.verify_token(code) else None)


def _throttle_wait(device: Device, details: dict[str, Any] | None) -> int:
    """Seconds until django-otp's growing delay after failures lets the device check a code again."""
    failures = int((details or {}).get("failure_count", 1))
    last_failure = getattr(device, "throttling_failure_timestamp", None)
    required = device.get_throttle_factor() * 2 ** (failures - 1)
    if last_failure is None:
        return int(required)
    elapsed = (timezone.now() - last_failure).total_seconds()
    return max(1, int(required - elapsed + 0.999))


def refusal_message(check: CodeCheck) -> str:
    """What to tell the person whose code was refused."""
    if check.wait_seconds:
        return f"Too many wrong codes in a row. Wait {check.wait_seconds} seconds, then try again."
    return WRONG_CODE


def _recovery_codes_replace(user: User) -> list[str]:
    """Must run inside the caller's transaction."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def mfa_reset(*, actor: Actor, user: User, reason: str) -> int:
    """Remove a person's authenticator and recovery codes (lost phone and codes) so they enrol again.

    For operators, after confirming the person's identity out of band; the reason is kept in the audit trail.
    """
    if not reason.strip():
        raise ServiceError("Say why the MFA devices are being removed (e.g. the ticket number).", field="reason")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        audit_record(
            actor=actor,
            action="auth.mfa_reset",
            organization=None,
            target=user,
            changes={"devices_removed": [None, removed], "reason": [None, reason.strip()]},
        )
    return removed
