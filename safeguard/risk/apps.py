from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "safeguard.risk"
    label = "risk"
    verbose_name = "Risk management"

    def ready(self) -> None:
        # Registers the demo's risk part, the record types evidence links to, the archive's models and the chores.
        from safeguard.risk import demo, evidence_links, portability  # noqa: F401
        from safeguard.risk.services import actions, triggers  # noqa: F401
