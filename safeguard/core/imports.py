"""What a domain app supplies to import a CSV/XLSX file through the shared pipeline (services/file_imports.py).

An `Importer` names its columns, checks a whole table without writing (every problem by file row and column,
a plan of what it would write, a preview and summary counts) and writes a clean plan in the caller's
transaction. The pipeline does the rest the same way for every kind: keeping the upload, guessing and saving
the column mapping, checking and committing in the background with progress, and the all-or-nothing rule.
Apps register their importers in AppConfig.ready().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict
from zoneinfo import ZoneInfo

from django.db.models import TextChoices

from safeguard.core import tabular
from safeguard.core.roles import Perm

if TYPE_CHECKING:
    from safeguard.core.audit import Actor
    from safeguard.core.models import FileImport, Organization

Tick = Callable[[int], None]
TRUE_WORDS = ("yes", "true", "1", "y", "enabled", "on")
FALSE_WORDS = ("no", "false", "0", "n", "disabled", "off")
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d")
TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p")


class RowError(TypedDict):
    row: int
    column: str
    message: str


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    free_text: bool = False  # kept as typed; every other cell is trimmed


@dataclass
class CheckedFile:
    """What checking a table found: errors, or a plan the importer can write, with what people are shown."""

    errors: list[RowError] = field(default_factory=list)
    plan: Any = None
    preview: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)

    def count(self, key: str, label: str, count: int) -> None:
        """Add a line to the summary people see before committing (kept in order: jsonb reorders dict keys)."""
        self.summary.append({"key": key, "label": label, "count": count})

    @property
    def rows_with_errors(self) -> int:
        return len({error["row"] for error in self.errors})


@dataclass(frozen=True)
class Outcome:
    created: int
    updated: int
    result: dict[str, Any] = field(default_factory=dict)


class ImportRefused(Exception):
    """The file as a whole cannot be imported now (e.g. its system is unknown); nothing was written. `field` names
    the option at fault, when one is (else the options as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Importer:
    """One kind of file. Subclasses set the class attributes and implement check() and apply()."""

    kind: ClassVar[str]
    label: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    permission: ClassVar[Perm] = Perm.MANAGE_PROGRAM
    max_rows: ClassVar[int] = tabular.MAX_ROWS
    max_bytes: ClassVar[int | None] = None  # None: tabular.MAX_BYTES
    # The file formats it reads; one that adds tabular.JSON turns such a file into a table in read_table().
    formats: ClassVar[tuple[str, ...]] = tabular.FORMATS
    preview_template: ClassVar[str] = "core/imports/_preview_rows.html"
    # Whether a mapping needs at least one of these (e.g. an account list needs a username or an email).
    one_of: ClassVar[tuple[str, ...]] = ()
    # False: the uploaded file is deleted once the import is committed, its commit fails, or it is left unused
    # (services/file_imports.py); the job keeps the file's name, size and SHA-256. For files that may hold what
    # must not stay on disk, e.g. what phishing recipients typed into a landing page.
    keep_upload: ClassVar[bool] = True

    @property
    def byte_limit(self) -> int:
        return tabular.MAX_BYTES if self.max_bytes is None else self.max_bytes

    def read_headers(self, data: bytes, file_format: str) -> list[str]:
        """The file's column headers, read when the file is uploaded (before the mapping)."""
        return tabular.read_headers(data, file_format)

    def read_table(self, data: bytes, file_format: str) -> tabular.Table:
        """The whole file as a table; raise tabular.TabularError with a sentence when it cannot be read."""
        return tabular.read_table(data, file_format, max_rows=self.max_rows)

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        """The options as stored on the job; raise ImportRefused with the reason when they cannot work."""
        return {}

    def describe(self, organization: Organization, options: dict[str, Any]) -> str:
        """A heading for the job, e.g. "Accounts of EHR as of 2026-12-01"."""
        return self.label

    def saved_mapping(self, organization: Organization, options: dict[str, Any]) -> dict[str, str]:
        """The mapping last used for the same source, to start from; empty when there is none."""
        return {}

    def save_mapping(self, organization: Organization, options: dict[str, Any], mapping: dict[str, str]) -> None:
        """Remember a mapping that was committed, for the next file from the same source."""

    def back_url(self, organization: Organization, job: FileImport) -> str:
        """Where the job's page links back to (the list the import feeds)."""
        return ""

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        raise NotImplementedError

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
        """Write the plan of a clean check inside the caller's transaction; raise ImportRefused (or a
        ServiceError) to have nothing written. `file_sha256` identifies the file the records came from;
        `file_import` is the upload's job (None for a command, which imports without one)."""
        raise NotImplementedError

    # ---- shared by every importer ----

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def guess_mapping(self, headers: list[str]) -> dict[str, str]:
        """Our field → the file's header, for each field a header names (case and spacing ignored)."""
        by_words = {words(header): header for header in headers if header}
        mapping: dict[str, str] = {}
        for column in self.columns:
            for candidate in (column.name, words(column.label), *column.aliases):
                header = by_words.get(candidate)
                if header is not None and header not in mapping.values():
                    mapping[column.name] = header
                    break
        return mapping

    def mapping_errors(self, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
        """Every problem with a mapping, by our field name; empty when the rows can be checked with it."""
        errors: dict[str, str] = {}
        used: dict[str, str] = {}
        for name, header in mapping.items():
            if name not in self.names:
                errors[name] = f"{name!r} is not a column of this import: use {', '.join(self.names)}."
            elif not header or header not in headers:
                errors[name] = f"The file has no column headed {header!r}."
            elif header in used:
                errors[name] = f"The column {header!r} is already used for “{self.column(used[header]).label}”."
            else:
                used[header] = name
        for column in self.columns:
            if column.required and not mapping.get(column.name) and column.name not in errors:
                errors[column.name] = f"Choose the column for “{column.label}”: it is required."
        if self.one_of and not any(mapping.get(name) for name in self.one_of):
            labels = " or ".join(f"“{self.column(name).label}”" for name in self.one_of)
            errors.setdefault(self.one_of[0], f"The file needs a column identifying each row: map {labels}.")
        return errors

    def reader(self, headers: list[str], mapping: dict[str, str]) -> RowReader:
        return RowReader(self, headers, mapping)


class RowReader:
    """Reads one row's mapped cells by our field names and reports its problems by the file's headers."""

    def __init__(self, importer: Importer, headers: list[str], mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.order = importer.names
        # In our column order: a mapping read back from PostgreSQL's jsonb has its keys reordered.
        ordered = sorted(mapping.items(), key=lambda item: _rank(self.order, item[0]))
        self.index = {name: headers.index(header) for name, header in ordered if header in headers}
        self.free_text = {column.name for column in importer.columns if column.free_text}

    def cells(self, row: tabular.Row) -> dict[str, str]:
        values = {}
        for name, position in self.index.items():
            text = tabular.restore(row.cells[position]) if position < len(row.cells) else ""
            values[name] = text if name in self.free_text else text.strip()
        return values

    def errors(self, row_number: int, problems: dict[str, str]) -> list[RowError]:
        ranked = sorted(problems.items(), key=lambda item: _rank(self.order, item[0]))
        return [RowError(row=row_number, column=self.mapping.get(name, name), message=text) for name, text in ranked]


def _rank(order: tuple[str, ...], name: str) -> int:
    return order.index(name) if name in order else len(order)


def words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# ---- cells -----------------------------------------------------------------------------------------------------


def parse_choice(text: str, choices: type[TextChoices], aliases: dict[str, str] | None = None) -> str | None:
    """The stored value for a choice given as its value, its label or an alias, in any case; None otherwise."""
    lowered = text.strip().lower()
    for value, label in choices.choices:
        if lowered in (str(value).lower(), str(label).lower()):
            return str(value)
    if aliases and lowered in aliases:
        return aliases[lowered]
    return None


def choice_error(text: str, what: str, choices: type[TextChoices]) -> str:
    return f"{text!r} is not a {what}: use one of {', '.join(map(str, choices.values))}."


def parse_yes_no(text: str) -> bool | None:
    lowered = text.strip().lower()
    return True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else None


def parse_date(text: str) -> date | None:
    """A calendar date as HR and identity exports write it (ISO first; US month/day before day.month)."""
    text = text.strip()
    if not text:
        return None
    if "T" in text or " " in text:
        moment = parse_naive_datetime(text)
        return moment.date() if moment else None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007  (a date, no time zone involved)
        except ValueError:
            continue
    return None


def parse_naive_datetime(text: str) -> datetime | None:
    """A date and time as written, possibly with an offset; None when it is neither."""
    text = text.strip().replace("Z", "+00:00")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    day_text, _, time_text = text.partition(" ")
    day = parse_date(day_text) if day_text else None
    if day is None:
        return None
    for pattern in TIME_FORMATS:
        try:
            clock = datetime.strptime(time_text.strip(), pattern).time()  # noqa: DTZ007
        except ValueError:
            continue
        return datetime.combine(day, clock)
    return None


class LocalTimeError(ValueError):
    """A wall-clock time that does not exist, or exists twice, in the zone it is read in."""


def aware(moment: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time read in `zone` (an explicit offset wins), in UTC. A time skipped by a daylight-saving
    change is refused; one that happens twice is refused too, as guessing would shift a measured delay by an hour.

    UTC because Python subtracts two datetimes of the same tzinfo by their wall clocks: 03:30 EDT − 01:30 EST on
    the spring-forward day would come out as two hours instead of one."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    first, second = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        if _round_trips(first, zone):
            raise LocalTimeError(
                f"{moment:%Y-%m-%d %H:%M} happens twice in {zone.key} (clocks go back): "
                "give the time with its UTC offset, e.g. -05:00."
            )
        raise LocalTimeError(
            f"{moment:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks go forward): check the time."
        )
    return first.astimezone(UTC)


def _round_trips(moment: datetime, zone: ZoneInfo) -> bool:
    there = moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return there == moment.replace(tzinfo=None)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """When a date given without a time is taken to end: a termination "on" a day takes effect that evening."""
    return datetime.combine(day, time(23, 59), tzinfo=zone).astimezone(UTC)


# ---- the registry ----------------------------------------------------------------------------------------------

_importers: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    if importer.kind in _importers:
        raise ValueError(f"an importer of kind {importer.kind!r} is already registered")
    _importers[importer.kind] = importer
    return importer


def importer_for(kind: str) -> Importer:
    try:
        return _importers[kind]
    except KeyError:
        raise ImportRefused(f"Nothing imports files of kind {kind!r}.") from None


def registered_kinds() -> list[str]:
    return sorted(_importers)
