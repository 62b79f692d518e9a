"""Sample files and helpers the rule-testing tests share: failed logons of one user a minute apart (five in ten
minutes is what BRUTE_FORCE_YAML alerts on), and the files kept for queued tests."""

from __future__ import annotations

import json

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core.models import Organization


def failures_ndjson(count: int, user: str = "jdoe") -> bytes:
    lines = [
        {
            "time": f"2024-01-15T10:0{index}:00Z",
            "event_class": "authentication",
            "activity": "logon",
            "outcome": "failure",
            "user_name": user,
            "src_ip": "203.0.113.5",
            "event_uid": f"{user}-{index}",
        }
        for index in range(count)
    ]
    return ("\n".join(json.dumps(line) for line in lines) + "\n").encode()


def sample(content: bytes, name: str = "sample.ndjson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def kept_files(organization: Organization) -> list[str]:
    """The samples kept in storage for the organization's tests (uploads for ingestion share the folder)."""
    folder = f"activity-uploads/{organization.public_id}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []
