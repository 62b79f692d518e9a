"""The shared cast: an organization with an owner, a workforce member and an auditor, and an outsider's org."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from safeguard.catalog.loader import catalog_load
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _inline_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.SECURE_SSL_REDIRECT = False
    # Argon2 costs about a second per user created; tests/test_auth_hashing.py checks the real configuration.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches. The API's per-user throttle counts requests in the cache by user id, and
    SQLite hands the same ids out again after each test's rollback, so without this a test could be throttled (429)
    for the requests of the tests run in the minute before it."""
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def _evidence_dir(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "evidence"
    settings.ACTIVITY_STORE_DIR = tmp_path / "activity"


@pytest.fixture
def catalog(db) -> None:
    catalog_load()


def make_user(email: str) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, first_name=email.split("@")[0].title())


def make_member(org: Organization, email: str, role: str, **extra: object) -> Membership:
    return Membership.objects.create(organization=org, user=make_user(email), role=role, **extra)


@dataclass
class Cast:
    org: Organization
    other_org: Organization
    owner: User
    official: User
    workforce: User
    auditor: User
    outsider: User


@pytest.fixture
def cast(db, catalog) -> Cast:
    """MFA is off for these orgs so HTTP tests can sign in with force_login; MFA has its own tests."""
    org = Organization.objects.create(slug="clinic", name="Riverside Clinic", mfa_required=False)
    other = Organization.objects.create(slug="other", name="Other Practice", mfa_required=False)
    owner = make_member(org, "owner@clinic.test", Role.OWNER).user
    official = make_member(org, "so@clinic.test", Role.SECURITY_OFFICIAL).user
    workforce = make_member(org, "nurse@clinic.test", Role.WORKFORCE).user
    auditor = make_member(
        org, "auditor@firm.test", Role.AUDITOR, access_ends_on=timezone.localdate() + timedelta(days=30)
    ).user
    outsider = make_member(other, "owner@other.test", Role.OWNER).user
    return Cast(org, other, owner, official, workforce, auditor, outsider)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
