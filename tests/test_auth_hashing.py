"""Passwords are hashed with Argon2 in the real configuration (tests use a fast hasher for speed)."""

from django.contrib.auth.hashers import make_password
from django.test import override_settings

from safeguard import settings as project_settings


def test_argon2_is_the_configured_password_hasher() -> None:
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        assert make_password("correct horse battery staple").startswith("argon2$argon2id$")
