from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeguard.core"
    label = "core"
    verbose_name = "Safeguard core"

    def ready(self) -> None:
        from safeguard.core import (
            signals_auth,  # noqa: F401  (audits sign-ins and sign-outs made outside Safeguard's pages)
            system_checks,  # noqa: F401  (registers Django system checks)
        )
