from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "safeguard.catalog"
    label = "catalog"
    verbose_name = "HIPAA Security Rule catalog"
