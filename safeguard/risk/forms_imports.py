"""Import forms: shape only. Which files are readable and which mappings work is decided in services.imports."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.core.tabular import MAX_BYTES
from safeguard.risk.models import ImportJob
from safeguard.risk.services.exports import COLUMNS
from safeguard.risk.services.import_rows import LABELS, REQUIRED

NOT_IN_FILE = "— not in file —"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(choices=ImportJob.Kind.choices, label="What the file lists")
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text=f"UTF-8 CSV (comma, semicolon or tab separated) or an Excel workbook (first sheet), at most "
        f"{MAX_BYTES // (1024 * 1024)} MB. The first row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class ImportMappingForm(forms.Form):
    """One select per column of ours, offering the file's headers."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        kwargs.setdefault("initial", dict(job.mapping))
        super().__init__(*args, **kwargs)
        choices = [("", NOT_IN_FILE), *((header, header) for header in job.headers if header)]
        required = REQUIRED[ImportJob.Kind(job.kind)]
        for name in COLUMNS[ImportJob.Kind(job.kind)]:
            self.fields[name] = forms.ChoiceField(
                choices=choices,
                required=name in required,
                label=LABELS[name],
                error_messages={"required": f"Choose the column for “{LABELS[name]}”: it is required."},
            )

    def mapping(self) -> dict[str, str]:
        return {name: header for name, header in self.cleaned_data.items() if header}
