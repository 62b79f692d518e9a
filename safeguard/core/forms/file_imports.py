"""Forms of the shared import pipeline: shape only; whether a file or a mapping works is for the services."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.core.imports import importer_for
from safeguard.core.models import FileImport
from safeguard.core.tabular import MAX_BYTES

NOT_IN_FILE = "— not in file —"


class FileField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "CSV or XLSX file")
        kwargs.setdefault(
            "help_text",
            f"UTF-8 CSV (comma, semicolon or tab separated) or an Excel workbook (first sheet), at most "
            f"{MAX_BYTES // (1024 * 1024)} MB. The first row names the columns.",
        )
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))
        super().__init__(**kwargs)


class MappingForm(forms.Form):
    """One select per column of ours, offering the file's headers."""

    def __init__(self, *args: Any, job: FileImport, **kwargs: Any) -> None:
        kwargs.setdefault("initial", dict(job.mapping))
        super().__init__(*args, **kwargs)
        choices = [("", NOT_IN_FILE), *((header, header) for header in job.headers if header)]
        for column in importer_for(job.kind).columns:
            self.fields[column.name] = forms.ChoiceField(
                choices=choices,
                required=column.required,
                label=column.label,
                error_messages={"required": f"Choose the column for “{column.label}”: it is required."},
            )

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}
