"""Risk rows of an import: a register kept in a spreadsheet (or exported from another tool) checked and written.

A row whose reference (R-0007; any case, zeros optional) names a risk of the organization updates that risk's
assessment; any other row records a new risk, numbered as usual (the file's own reference is not kept). New risks go
into the draft analysis when one is open, else into the register between analyses; while the open analysis is in
review nothing can be imported. Ratings are whole numbers or level labels of the method the risk is rated by: its
analysis's frozen copy, else the organization's method.

An update sends the services only what differs from the register. A row that changes nothing is accepted whatever
the state of its risk, so an exported register imports back cleanly; a row that changes the assessment of a closed
risk, or of a risk in an approved analysis, is refused as the risk pages refuse it. A new owner is recorded through
the treatment service; an import never removes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import (
    AnalysisScopeItem,
    Asset,
    ImportJob,
    Risk,
    RiskAcceptance,
    RiskAnalysis,
    Threat,
    Treatment,
    Vulnerability,
)
from safeguard.risk.queries import acceptances_in_force
from safeguard.risk.scoring import Method, scale_values
from safeguard.risk.services.analyses import open_analysis
from safeguard.risk.services.exports import COLUMNS, LIST_SEPARATOR, risk_cells
from safeguard.risk.services.import_rows import Checked, Planned, RowReader, Tick
from safeguard.risk.services.risks import (
    ASSESSMENT_FIELDS,
    RATING_FIELDS,
    SCALES,
    TITLE_MAX,
    assessment_refusal,
    method_of,
    risk_assess,
    risk_create,
)
from safeguard.risk.services.treatment import risk_treat

Kind = ImportJob.Kind
REFERENCE = re.compile(r"^R-?0*(\d{1,9})$", re.IGNORECASE)
WHOLE_NUMBER = re.compile(r"^[+-]?\d+(\.0+)?$")  # "3", and "3.0" as some programs write it
LIBRARY = ("threat", "vulnerability")


def import_target(organization: Organization) -> RiskAnalysis | None:
    """The draft analysis new risks go into, or None for the register between analyses. Refused while the open
    analysis is in review: its risks are waiting for the security official's signature."""
    analysis = open_analysis(organization)
    if analysis is None or analysis.status == RiskAnalysis.Status.DRAFT:
        return analysis
    raise ServiceError(
        f"“{analysis.title}” is in review, so risks cannot be imported into it: return it to draft, or approve it "
        "and start a new analysis, then import the file.",
        field="kind",
    )


def risk_destination(organization: Organization) -> str:
    """Where a risk import would put new risks now, in a sentence for the import pages."""
    try:
        analysis = import_target(organization)
    except ServiceError as refused:
        return refused.message
    if analysis is None:
        return "New risks are recorded in the register, between analyses."
    return f"New risks go into the draft analysis “{analysis.title}”, and their assets must be in its scope."


@dataclass
class Register:
    """What checking risk rows needs from the database, loaded once (a file may hold thousands of rows)."""

    organization: Organization
    analysis: RiskAnalysis | None
    risks: dict[int, Risk]  # by number
    assets: dict[str, Asset]  # lower-cased name → asset
    library: dict[str, dict[str, Threat | Vulnerability]]  # "threat"/"vulnerability" → lower-cased name → entry
    citations: dict[str, Requirement]
    owners: dict[str, User]  # lower-cased email → a current member who is not an auditor
    accepted: set[int]  # risks with a signed acceptance in force
    methods: dict[int | None, Method] = field(default_factory=dict)
    scopes: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, organization: Organization) -> Register:
        analysis = import_target(organization)
        risks = (
            Risk.objects.filter(organization=organization)
            .select_related("analysis", "threat", "vulnerability", "owner")
            .defer("analysis__approved_content")  # the signed copy: large, and not needed here
            .prefetch_related("assets", "requirements")
        )
        members = (
            Membership.objects.current()
            .filter(organization=organization)
            .exclude(role=Role.AUDITOR)
            .select_related("user")
        )
        accepted = RiskAcceptance.objects.filter(acceptances_in_force(timezone.localdate()), organization=organization)
        threats: dict[str, Threat | Vulnerability] = {
            entry.name.lower(): entry for entry in Threat.objects.filter(organization=organization)
        }
        vulnerabilities: dict[str, Threat | Vulnerability] = {
            entry.name.lower(): entry for entry in Vulnerability.objects.filter(organization=organization)
        }
        return cls(
            organization=organization,
            analysis=analysis,
            risks={risk.number: risk for risk in risks},
            assets={asset.name.lower(): asset for asset in Asset.objects.filter(organization=organization)},
            library={"threat": threats, "vulnerability": vulnerabilities},
            citations={requirement.citation: requirement for requirement in Requirement.objects.all()},
            owners={member.user.email.lower(): member.user for member in members},
            accepted=set(accepted.values_list("risk_id", flat=True)),
        )

    def method(self, analysis: RiskAnalysis | None) -> Method:
        key = analysis.pk if analysis is not None else None
        if key not in self.methods:
            self.methods[key] = method_of(self.organization, analysis)
        return self.methods[key]

    def scope(self, analysis: RiskAnalysis) -> set[int]:
        if analysis.pk not in self.scopes:
            items = AnalysisScopeItem.objects.filter(analysis=analysis).values_list("asset_id", flat=True)
            self.scopes[analysis.pk] = set(items)
        return self.scopes[analysis.pk]


# ---- cells -----------------------------------------------------------------------------------------------------


def reference_key(text: str) -> int | str | None:
    """The risk number a reference names (R-0007, r-7, R7 → 7); other text as itself, to find repeats; None when
    blank."""
    match = REFERENCE.match(text)
    if match:
        return int(match.group(1))
    return text.lower() or None


def split_assets(text: str, assets: dict[str, Asset]) -> tuple[list[Asset], list[str]]:
    """The assets a cell names between ";" and the names that match none. The longest run of pieces that names an
    asset wins, so an asset whose own name holds a ";" still round-trips."""
    pieces = text.split(";")
    found: list[Asset] = []
    missing: list[str] = []
    start = 0
    while start < len(pieces):
        for end in range(len(pieces), start, -1):
            name = ";".join(pieces[start:end]).strip().lower()
            if name in assets:
                found.append(assets[name])
                start = end
                break
        else:
            if pieces[start].strip():
                missing.append(pieces[start].strip())
            start += 1
    return list(dict.fromkeys(found)), missing


def _quoted(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def parse_rating(text: str, name: str, method: Method) -> tuple[int | None, str | None]:
    """A rating given as a number of the method's scale or as its level label (any case): (value, problem)."""
    if not text:
        return None, None
    levels = method[SCALES[name]]
    scale = scale_values(levels)
    what = name.replace("_", " ")
    size = f"{len(method['likelihood_levels'])}×{len(method['impact_levels'])}"
    if WHOLE_NUMBER.match(text):
        value = int(float(text))
        if value in scale:
            return value, None
        return None, f"{what} {value} is outside the {size} matrix ({min(scale)}–{max(scale)})."
    for level in levels:
        if str(level["label"]).strip().lower() == text.lower():
            return int(level["value"]), None
    labels = ", ".join(str(level["label"]) for level in levels)
    return None, f"{text!r} is not a {what} of the {size} matrix: give {min(scale)}–{max(scale)} or one of {labels}."


def _library_problem(name: str, text: str, entry: Threat | Vulnerability | None, current: Risk | None) -> str | None:
    if entry is None:
        return f"No {name} named {text!r} in the library: add it there first, or fix the name."
    unchanged = current is not None and getattr(current, f"{name}_id") == entry.pk
    if not entry.is_active and not unchanged:
        return f"“{entry.name}” is deactivated in the library; choose an active {name}."
    return None


def _values(cells: dict[str, str], current: Risk | None, register: Register) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    method = register.method(current.analysis if current is not None else register.analysis)
    for name, raw in cells.items():
        text = raw.strip()
        if name == "reference":
            continue
        if name == "title":
            if not text:
                problems[name] = "Give the risk a title, e.g. “Ransomware encrypts the EHR server”."
            elif len(text) > TITLE_MAX:
                problems[name] = f"The title is longer than {TITLE_MAX} characters."
            values[name] = text
        elif name == "assets":
            values[name], missing = split_assets(text, register.assets)
            if missing:
                noun = "an asset" if len(missing) == 1 else "assets"
                problems[name] = (
                    f"No asset named {_quoted(missing)} in the inventory: add {noun} first, or fix the name."
                )
        elif name in LIBRARY:
            values[name] = register.library[name].get(text.lower()) if text else None
            problem = _library_problem(name, text, values[name], current) if text else None
            if problem:
                problems[name] = problem
        elif name in RATING_FIELDS:
            values[name], problem = parse_rating(text, name, method)
            if problem:
                problems[name] = problem
        elif name == "requirements":
            citations = list(dict.fromkeys(piece.strip() for piece in text.split(";") if piece.strip()))
            unknown = [citation for citation in citations if citation not in register.citations]
            if unknown:
                problems[name] = f"Not a citation of the catalog: {_quoted(unknown)} (e.g. 164.308(a)(1)(ii)(A))."
            values[name] = [register.citations[citation] for citation in citations if citation not in unknown]
        elif name == "owner":
            values[name] = register.owners.get(text.lower()) if text else None
            if values[name] is None and text and current is not None and _owned_by(current, text):
                values[name] = current.owner  # unchanged, as the risk pages keep an owner who has since left
            elif values[name] is None and text:
                problems[name] = f"No current member (other than an auditor) has the email {text!r}."
        else:
            values[name] = text
    return values, problems


def _owned_by(risk: Risk, email: str) -> bool:
    return risk.owner is not None and risk.owner.email.lower() == email.lower()


# ---- rows ------------------------------------------------------------------------------------------------------


def _compared(name: str, value: Any) -> Any:
    if name in ("assets", "requirements"):
        return {item.pk for item in value}
    if name in (*LIBRARY, "owner"):
        return value.pk if value is not None else None
    return value


def _current(risk: Risk, name: str) -> Any:
    if name in ("assets", "requirements"):
        return {item.pk for item in getattr(risk, name).all()}
    if name in (*LIBRARY, "owner"):
        return getattr(risk, f"{name}_id")
    return getattr(risk, name)


def _changes(current: Risk | None, values: dict[str, Any]) -> list[str]:
    if current is None:
        return []
    return [name for name, value in values.items() if _compared(name, value) != _current(current, name)]


def _scope_problem(values: dict[str, Any], current: Risk | None, register: Register) -> str | None:
    """Assets newly named on a risk of an analysis must be in its scope, as the risk service requires."""
    analysis = current.analysis if current is not None else register.analysis
    if analysis is None or not values.get("assets"):
        return None
    kept = _current(current, "assets") if current is not None else set()
    scope = register.scope(analysis)
    outside = [asset.name for asset in values["assets"] if asset.pk not in kept and asset.pk not in scope]
    if not outside:
        return None
    named = ", ".join(f"“{name}”" for name in outside)
    verb, pronoun = ("is", "it") if len(outside) == 1 else ("are", "them")
    return f"{named} {verb} not in the scope of “{analysis.title}”; add {pronoun} to the scope first."


def _owner_problem(risk: Risk, owner: User | None, register: Register) -> str | None:
    """Why the owner cannot change here, as the treatment service would refuse it."""
    if owner is None:
        return f"An import does not remove {risk.reference}'s owner: give the email of a current member."
    if risk.status == Risk.Status.CLOSED:
        return f"{risk.reference} is closed; reopen it before changing its owner."
    accepted = risk.pk in register.accepted
    if risk.treatment == Treatment.ACCEPT and not accepted:
        return (
            f"{risk.reference} is accepted but its signed acceptance has lapsed: record a new acceptance or another "
            "treatment on the risk's page before changing its owner."
        )
    if risk.treatment != Treatment.ACCEPT and accepted:
        return (
            f"{risk.reference} has a signed acceptance in force but another treatment: settle its treatment on the "
            "risk's page before changing its owner."
        )
    return None


def _row_problems(
    values: dict[str, Any], current: Risk | None, changes: list[str], register: Register
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if current is not None and any(name in ASSESSMENT_FIELDS for name in changes):
        refusal = assessment_refusal(current, current.analysis)
        if refusal:
            problems["reference"] = refusal
    if current is None or "assets" in changes:
        scope = _scope_problem(values, current, register)
        if scope:
            problems["assets"] = scope
    if current is not None and "owner" in changes:
        owner = _owner_problem(current, values["owner"], register)
        if owner:
            problems["owner"] = owner
    return problems


def check_risks(
    organization: Organization, table: tabular.Table, rows: RowReader, checked: Checked, tick: Tick
) -> None:
    """Check every risk row; raises ServiceError (nothing checked) when the open analysis is in review."""
    register = Register.load(organization)
    seen: dict[int | str, int] = {}
    order = COLUMNS[Kind.RISKS]
    for position, row in enumerate(table.rows, start=1):
        cells = rows.cells(row)
        key = reference_key(cells.get("reference", "").strip())
        current = register.risks.get(key) if isinstance(key, int) else None
        values, problems = _values(cells, current, register)
        changes = _changes(current, values)
        for name, message in _row_problems(values, current, changes, register).items():
            problems.setdefault(name, message)
        if key is not None and key in seen:
            problems["reference"] = f"Duplicates row {seen[key]}: each risk appears once in a file."
        if key is not None:
            seen.setdefault(key, row.number)
        if problems:
            checked.errors.extend(rows.errors(row, problems, order))
        else:
            checked.planned.append(Planned(row.number, current, values, changes))
        tick(position)
    checked.analysis = register.analysis


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        items = sorted(value, key=lambda item: item.position if isinstance(item, Requirement) else item.name.lower())
        return LIST_SEPARATOR.join(_shown(item) for item in items)
    if isinstance(value, Requirement):
        return value.citation
    if isinstance(value, Asset | Threat | Vulnerability):
        return value.name
    if isinstance(value, User):
        return value.email
    return str(value)


def preview_risk(planned: Planned) -> dict[str, Any]:
    """A planned risk row as the register will read once it is written."""
    columns = COLUMNS[Kind.RISKS]
    current = cast(Risk | None, planned.target)
    record = dict(zip(columns, risk_cells(current), strict=True)) if current is not None else dict.fromkeys(columns, "")
    record.update({name: _shown(value) for name, value in planned.values.items()})
    return {
        "row": planned.number,
        "action": "create" if current is None else "update",
        "values": record,
        "changes": planned.changes,
    }


# ---- writing ---------------------------------------------------------------------------------------------------


def risk_row_write(
    *, organization: Organization, actor: Actor, analysis: RiskAnalysis | None, planned: Planned
) -> bool:
    """Write one checked row through the risk services; False when it matched a risk and changed nothing."""
    if planned.target is None:
        risk_create(organization=organization, actor=actor, analysis=analysis, **planned.values)
        return True
    risk = cast(Risk, planned.target)
    assessed = {name: planned.values[name] for name in planned.changes if name in ASSESSMENT_FIELDS}
    if assessed:
        risk_assess(organization=organization, actor=actor, risk=risk, **assessed)
    if "owner" in planned.changes:
        risk_treat(
            organization=organization, actor=actor, risk=risk, treatment=risk.treatment, owner=planned.values["owner"]
        )
    return bool(planned.changes)
