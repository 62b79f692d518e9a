"""Organization archives carry the roster whole: a manager added after the people who report to them still
comes back as their manager."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from safeguard.catalog.loader import catalog_load
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.workforce.models import Person


@pytest.mark.django_db(transaction=True)
def test_a_manager_recorded_after_their_reports_is_restored(tmp_path: Path) -> None:
    catalog_load()
    org = Organization.objects.create(slug="clinic", name="Riverside Clinic", mfa_required=False)
    owner = User.objects.create_user(email="owner@clinic.test", password="correct horse battery 42")
    Membership.objects.create(organization=org, user=owner, role=Role.OWNER)
    report = Person.objects.create(organization=org, employee_id="E-2", given_name="Ann")
    manager = Person.objects.create(organization=org, employee_id="E-1", given_name="Mia")
    report.manager = manager
    report.save()
    assert report.pk < manager.pk  # the archive lists the report first
    archive = tmp_path / "clinic.zip"
    call_command("org_export", "--org", "clinic", "--output", str(archive), stdout=StringIO())

    call_command("flush", interactive=False)
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    catalog_load()
    call_command("org_import", str(archive), stdout=StringIO(), stderr=StringIO())

    restored = Person.objects.select_related("manager").get(employee_id="E-2")
    assert restored.manager is not None and restored.manager.employee_id == "E-1"
    assert Person.objects.get(employee_id="E-1").manager is None
