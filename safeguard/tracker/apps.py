from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TrackerConfig(AppConfig):
    name = "safeguard.tracker"
    label = "tracker"
    verbose_name = "Compliance tracker"

    def ready(self) -> None:
        # Each domain app declares its tracker checks in <app>/checks.py.
        autodiscover_modules("checks")
        from safeguard.tracker import evidence_links  # noqa: F401  (registers the record types evidence links to)
