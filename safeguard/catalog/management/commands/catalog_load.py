from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.catalog.loader import CATALOG_FILE, CatalogError, catalog_load


class Command(BaseCommand):
    help = "Load the HIPAA Security Rule catalog (standards and implementation specifications). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=CATALOG_FILE, help="catalog YAML (default: the bundled one)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = catalog_load(options["file"])
        except CatalogError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Catalog loaded: {result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        )
