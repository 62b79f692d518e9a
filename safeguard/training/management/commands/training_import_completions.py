"""manage.py training_import_completions FILE --org SLUG: completions exported by a learning system, checked row by
row (errors printed as 'row N, column C: message') and committed all or nothing. Exit status 1 when nothing was
committed."""

from __future__ import annotations

from safeguard.core.import_command import ImportCommand
from safeguard.core.imports import importer_for
from safeguard.training.completion_import import KIND


class Command(ImportCommand):
    help = (
        "Import course completions from an LMS export (CSV or XLSX): employee id and/or email, course (code or "
        "title), completed at; optional score, passed (rows not passed are skipped) and reference. Completions "
        "already recorded are left unchanged. Exit status 1 when nothing was committed."
    )
    importer = importer_for(KIND)
