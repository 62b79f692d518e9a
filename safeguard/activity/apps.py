from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "safeguard.activity"
    label = "activity"
    verbose_name = "Information system activity review"

    def ready(self) -> None:
        # Registers the importers, checks, chores, dashboard widgets and the demo story.
        from safeguard.activity import registrations  # noqa: F401
