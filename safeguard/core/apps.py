from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safeguard.core"
    label = "core"
    verbose_name = "Safeguard core"

    def ready(self) -> None:
        from safeguard.core import system_checks  # noqa: F401  (registers Django system checks)
