"""The patient flag importer: the EHR's (or the privacy office's) list of VIP and restricted records, workforce
members' own charts and patients' surnames, on the core import pipeline (core/imports.py).

Rows are upserted by patient id (case ignored): a patient already flagged takes the file's values. A yes/no
cell must say yes or no; an employee id must be on the roster. Any error names its row, and then nothing is
written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone

from safeguard.activity.enrichment import reference_changed
from safeguard.activity.models import PatientFlag
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, Column, Importer, Outcome, Tick, parse_yes_no, register
from safeguard.core.models import FileImport, Organization
from safeguard.core.roles import Perm
from safeguard.workforce.models import Person

KIND = "activity.patient_flags"
PREVIEW_ROWS = 20
BATCH = 2000
LIMITS = {"patient_id": 100, "last_name": 100, "note": 200}


@dataclass
class FlagRow:
    number: int
    patient_ref: str
    last_name: str
    vip: bool
    restricted: bool
    employee_id: int | None
    note: str


@dataclass
class FlagPlan:
    rows: list[FlagRow] = field(default_factory=list)


def read_row(number: int, cells: dict[str, str], roster: dict[str, int]) -> tuple[FlagRow | None, dict[str, str]]:
    problems: dict[str, str] = {}
    patient = cells.get("patient_id", "")
    if not patient:
        problems["patient_id"] = "Give the patient id (the MRN as the logs write it)."
    for name, limit in LIMITS.items():
        if len(cells.get(name, "")) > limit:
            problems[name] = f"At most {limit} characters."
    flags: dict[str, bool] = {}
    for name in ("vip", "restricted"):
        text = cells.get(name, "")
        value = parse_yes_no(text) if text else False
        if value is None:
            problems[name] = f"{text!r} is not yes or no: write yes, no, true, false, 1 or 0."
        flags[name] = bool(value)
    employee = cells.get("employee_id", "")
    person_id = roster.get(employee.lower()) if employee else None
    if employee and person_id is None:
        problems["employee_id"] = f"No one on the roster has the employee id {employee!r}."
    if problems:
        return None, problems
    return FlagRow(
        number, patient, cells.get("last_name", ""), flags["vip"], flags["restricted"], person_id, cells.get("note", "")
    ), {}


class PatientFlagImporter(Importer):
    kind = KIND
    label = "Patient flags"
    permission = Perm.MANAGE_ACTIVITY
    max_rows = 1_000_000
    columns = (
        Column("patient_id", "Patient ID", required=True, aliases=("mrn", "patient", "pat_id", "patient_mrn")),
        Column("last_name", "Last name", aliases=("surname", "family_name", "patient_last_name")),
        Column("vip", "VIP", aliases=("is_vip", "vip_flag")),
        Column("restricted", "Restricted", aliases=("is_restricted", "confidential", "break_the_glass")),
        Column("employee_id", "Employee ID", aliases=("employee", "employee_number", "staff_id")),
        Column("note", "Note", aliases=("notes", "comment", "reason"), free_text=True),
    )

    def back_url(self, organization: Organization, job: FileImport) -> str:
        return reverse("activity:enrichment_patients", args=[organization.slug])

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        roster = {
            employee_id.lower(): pk
            for pk, employee_id in Person.objects.filter(organization=organization).values_list("pk", "employee_id")
        }
        reader = self.reader(table.headers, mapping)
        checked, plan = CheckedFile(), FlagPlan()
        seen: dict[str, int] = {}
        for done, raw in enumerate(table.rows, start=1):
            cells = reader.cells(raw)
            row, problems = read_row(raw.number, cells, roster)
            if row is not None and row.patient_ref.lower() in seen:
                problems = {
                    "patient_id": f"The patient {row.patient_ref} is already on row {seen[row.patient_ref.lower()]}."
                }
                row = None
            if problems:
                checked.errors.extend(reader.errors(raw.number, problems))
            elif row is not None:
                seen[row.patient_ref.lower()] = row.number
                plan.rows.append(row)
                if len(checked.preview) < PREVIEW_ROWS:
                    checked.preview.append({"row": row.number, **cells})
            tick(done)
        checked.plan = plan
        existing = set(
            PatientFlag.objects.filter(organization=organization).values_list("patient_key", flat=True).iterator()
        )
        updated = sum(1 for row in plan.rows if row.patient_ref.lower() in existing)
        checked.count("created", "New patients flagged", len(plan.rows) - updated)
        checked.count("updated", "Patients whose flags change", updated)
        return checked

    def apply(
        self,
        organization: Organization,
        actor: Actor,
        checked: CheckedFile,
        options: dict[str, Any],
        file_name: str,
        *,
        file_sha256: str = "",
        file_import: FileImport | None = None,
    ) -> Outcome:
        plan: FlagPlan = checked.plan
        now = timezone.now()
        existing = dict(
            PatientFlag.objects.filter(organization=organization).values_list("patient_key", "pk").iterator()
        )
        fresh, changed = [], []
        for row in plan.rows:
            flag = PatientFlag(
                organization=organization,
                patient_ref=row.patient_ref,
                patient_key=row.patient_ref.lower(),
                last_name=row.last_name,
                vip=row.vip,
                restricted=row.restricted,
                employee_id=row.employee_id,
                note=row.note,
                updated_at=now,
            )
            if flag.patient_key in existing:
                flag.pk = existing[flag.patient_key]
                changed.append(flag)
            else:
                fresh.append(flag)
        PatientFlag.objects.bulk_create(fresh, batch_size=BATCH)
        fields = ["patient_ref", "last_name", "vip", "restricted", "employee", "note", "updated_at"]
        PatientFlag.objects.bulk_update(changed, fields, batch_size=BATCH)
        reference_changed(organization)
        return Outcome(created=len(fresh), updated=len(changed))


register(PatientFlagImporter())
