"""An operator removes a person's lost authenticator so they can enrol again; the reason is audited."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.models import AuditEvent
from tests.conftest import Cast


def test_removes_every_device_and_records_why(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    TOTPDevice.objects.create(user=cast.official, name="phone", confirmed=True)
    StaticDevice.objects.create(user=cast.official, name="codes")
    TOTPDevice.objects.create(user=cast.owner, name="phone", confirmed=True)

    call_command("mfa_reset", "--email", "SO@clinic.test", "--reason", "ticket 812, identity checked by video call")

    assert not TOTPDevice.objects.filter(user=cast.official).exists()
    assert not StaticDevice.objects.filter(user=cast.official).exists()
    assert TOTPDevice.objects.filter(user=cast.owner).count() == 1
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.organization is None and event.actor_label == "system:mfa_reset command"
    assert event.changes["reason"] == [None, "ticket 812, identity checked by video call"]
    assert "Removed 2 MFA device(s) of so@clinic.test" in capsys.readouterr().out


def test_unknown_email_and_empty_reason_are_refused(cast: Cast) -> None:
    TOTPDevice.objects.create(user=cast.official, name="phone", confirmed=True)
    with pytest.raises(CommandError, match="No account with the email 'nobody@clinic.test'"):
        call_command("mfa_reset", "--email", "nobody@clinic.test", "--reason", "x")
    with pytest.raises(CommandError, match="Say why"):
        call_command("mfa_reset", "--email", "so@clinic.test", "--reason", "  ")
    assert TOTPDevice.objects.filter(user=cast.official).exists()
    assert not AuditEvent.objects.filter(action="auth.mfa_reset").exists()
