from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "safeguard.training"
    label = "training"
    verbose_name = "Security awareness and training"

    def ready(self) -> None:
        # Registers the importers, checks, chores, dashboard widgets, signal receivers and the demo story.
        from safeguard.training import registrations  # noqa: F401
