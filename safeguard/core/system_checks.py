"""System checks that refuse an unsafe production start."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def secret_key_present(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is empty while DEBUG is off.",
                hint="Set SECRET_KEY (a long random string) or DEBUG=1 for local development.",
                id="safeguard.E002",
            )
        ]
    return []
