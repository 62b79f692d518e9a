from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "safeguard.workforce"
    label = "workforce"
    verbose_name = "Workforce security"

    def ready(self) -> None:
        # Registers the roster importer, the workflow task planner and the chores.
        from safeguard.workforce import registrations  # noqa: F401
