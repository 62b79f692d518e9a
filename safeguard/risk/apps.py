from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "safeguard.risk"
    label = "risk"
    verbose_name = "Risk management"

    def ready(self) -> None:
        # Registers the record types evidence links to, the archive's models and the daily chores.
        from safeguard.risk import evidence_links, portability  # noqa: F401
        from safeguard.risk.services import actions, triggers  # noqa: F401
