from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "safeguard.access"
    label = "access"
    verbose_name = "Information access management"

    def ready(self) -> None:
        # Registers the account importer, the workflow task planner, the checks and the chores.
        from safeguard.access import registrations  # noqa: F401
