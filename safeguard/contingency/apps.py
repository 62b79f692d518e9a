from django.apps import AppConfig


class ContingencyConfig(AppConfig):
    name = "safeguard.contingency"
    label = "contingency"
    verbose_name = "Contingency planning"

    def ready(self) -> None:
        # Registers the checks, chores, dashboard widgets and the demo story.
        from safeguard.contingency import registrations  # noqa: F401
