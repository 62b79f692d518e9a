"""The account page and who may open the account pages: every signed-in person their own, nobody else's."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.models import AuditEvent, User
from tests.conftest import PASSWORD, Cast, client_for
from tests.test_auth_support import enroll

ACCOUNT_PAGES = ["/accounts/", "/accounts/mfa/setup/", "/accounts/password/", "/accounts/mfa/recovery-codes/"]
PEOPLE = ["owner", "workforce", "auditor", "outsider"]


def test_account_page_shows_email_and_mfa_off(cast: Cast) -> None:
    response = client_for(cast.workforce).get("/accounts/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "nurse@clinic.test" in html
    assert "<strong>Off.</strong>" in html
    assert 'href="/accounts/mfa/setup/"' in html
    assert 'href="/accounts/password/"' in html


def test_account_page_shows_mfa_on_and_codes_left(cast: Cast) -> None:
    client, _, _ = enroll(cast.owner)
    html = client.get("/accounts/").content.decode()
    assert "<strong>On.</strong>" in html
    assert "Recovery codes left: <strong>10</strong>" in html
    assert 'href="/accounts/mfa/recovery-codes/"' in html


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_every_signed_in_person_opens_their_own_account_pages(cast: Cast, person: str, path: str) -> None:
    user: User = getattr(cast, person)
    response = client_for(user).get(path, follow=True)
    assert response.status_code == 200
    assert response.context["user"] == user


@pytest.mark.parametrize("path", [*ACCOUNT_PAGES, "/accounts/mfa/verify/"])
def test_anonymous_is_sent_to_sign_in_and_nothing_is_written(cast: Cast, path: str) -> None:
    response = client_for(None).post(
        path, {"code": "123456", "old_password": PASSWORD, "new_password1": "x" * 20, "new_password2": "x" * 20}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists()
    assert not AuditEvent.objects.exists()
    assert all(u.check_password(PASSWORD) for u in User.objects.all())


def test_setup_page_acts_only_on_the_signed_in_persons_device(cast: Cast) -> None:
    enroll(cast.owner)
    client_for(cast.outsider).get("/accounts/mfa/setup/")
    assert TOTPDevice.objects.get(user=cast.owner).confirmed is True
    assert TOTPDevice.objects.get(user=cast.outsider).confirmed is False
