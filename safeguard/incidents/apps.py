from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "safeguard.incidents"
    label = "incidents"
    verbose_name = "Security incidents"

    def ready(self) -> None:
        # Registers the incident records with organization archives.
        from safeguard.incidents import portability  # noqa: F401
