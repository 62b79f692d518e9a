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
from safeguard.core.services.api_tokens import api_tokens_revoke_all
from safeguard.core.services.calendar import calendar_token_revoke
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


@dataclass(frozen=True)
class Revoked:
    """The credentials an account recovery took away: they may have been in someone else's hands."""

    api_tokens: int = 0
    calendar_feed: bool = False

    @property
    def anything(self) -> bool:
        return bool(self.api_tokens or self.calendar_feed)


@dataclass(frozen=True)
class MfaResetOutcome:
    devices_removed: int
    revoked: Revoked


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalize_code(raw: str) -> str:
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def login_record_success(*, actor: Actor, user: User, method: str, path: str = "") -> None:
    """`method` is how the second factor was given: "password" (none), "totp" or "recovery_code".

    `path` names the page of a sign-in made outside Safeguard's own sign-in pages (the admin site's).
    """
    changes = {"method": method, "path": path} if path else {"method": method}
    with transaction.atomic():
        audit_record(actor=actor, action="auth.login_succeeded", organization=None, target=user, changes=changes)


def logout_record(*, actor: Actor, user: User) -> None:
    """A session ended: the person signed out, or was signed out after too many wrong codes."""
    with transaction.atomic():
        audit_record(actor=actor, action="auth.logged_out", organization=None, target=user)


def session_expired_record(*, actor: Actor, user: User, idle_minutes: int) -> None:
    """A session ended because it was left idle too long."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="auth.session_expired",
            organization=None,
            target=user,
            changes={"idle_minutes": idle_minutes},
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
    """The unconfirmed authenticator device the setup page shows; the same one until it is confirmed.

    Making one is audited: its secret is on the page from then on, even if enrollment is never finished.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # two tabs opening setup make one device
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
            audit_record(
                actor=actor,
                action="auth.mfa_setup_started",
                organization=None,
                target=user,
                changes={"device": [None, device.name]},
            )
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


def password_change(*, actor: Actor, user: User, password: str) -> Revoked:
    """The signed-in person changed their own password (the form checked the old one and the validators).

    A change often follows a suspected compromise, so it revokes the account's API tokens and calendar feed too.
    """
    return _password_set(
        actor=actor, user=user, password=password, action="auth.password_changed", reason="password changed"
    )


def password_reset_complete(*, actor: Actor, user: User, password: str) -> Revoked:
    """A password set through an emailed reset link: revokes API tokens and the calendar feed, lifts a lockout."""
    revoked = _password_set(
        actor=actor, user=user, password=password, action="auth.password_reset_done", reason="password reset"
    )
    axes_reset(username=user.email)
    return revoked


def _password_set(*, actor: Actor, user: User, password: str, action: str, reason: str) -> Revoked:
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        revoked = credentials_revoke(actor=actor, user=user, reason=reason)
        audit_record(actor=actor, action=action, organization=None, target=user, changes=_revoked_changes(revoked))
    return revoked


def credentials_revoke(*, actor: Actor, user: User, reason: str) -> Revoked:
    """Revoke the credentials that outlive a session: every API token and the calendar feed's address.

    Run inside the transaction of the recovery that calls for it.
    """
    with transaction.atomic():
        tokens = api_tokens_revoke_all(user=user, actor=actor, reason=reason)
        feed = calendar_token_revoke(user=user, actor=actor, reason=reason)
    return Revoked(api_tokens=tokens, calendar_feed=feed)


def _revoked_changes(revoked: Revoked) -> dict[str, list[object]]:
    return {
        "api_tokens_revoked": [None, revoked.api_tokens],
        "calendar_feed_revoked": [None, revoked.calendar_feed],
    }


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


def mfa_reset(*, actor: Actor, user: User, reason: str) -> MfaResetOutcome:
    """Remove a person's authenticator and recovery codes (lost phone and codes) so they enrol again.

    For operators, after confirming the person's identity out of band; the reason is kept in the audit trail. The
    account's API tokens and calendar feed are revoked too: whoever has the lost phone may have made them.
    """
    if not reason.strip():
        raise ServiceError("Say why the MFA devices are being removed (e.g. the ticket number).", field="reason")
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        revoked = credentials_revoke(actor=actor, user=user, reason="MFA reset")
        audit_record(
            actor=actor,
            action="auth.mfa_reset",
            organization=None,
            target=user,
            changes={
                "devices_removed": [None, removed],
                "reason": [None, reason.strip()],
                **_revoked_changes(revoked),
            },
        )
    return MfaResetOutcome(devices_removed=removed, revoked=revoked)
