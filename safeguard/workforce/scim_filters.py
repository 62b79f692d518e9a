"""SCIM filters and sorting as database queries, so that counting and paging happen in the database.

The filter arrives parsed and checked against the schema (scim2-models); this module walks its syntax tree and
builds a Q object with the meaning scim2-models' own evaluator gives it (ScimFilter.match), which the tests compare
on every operator: strings compare without case unless the attribute is caseExact, an absent value matches `ne`
and `eq null` and nothing else, and a filter on emails looks at the person's single work email. (SQLite folds
the case of ASCII letters only; PostgreSQL folds every letter, as the evaluator does.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import BooleanField, Case, CharField, Expression, F, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from scim2_models import InvalidFilterException, ScimFilter, SearchRequest
from scim2_models.path import (
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
    coerce_value,
)

from safeguard.workforce.models import Person, WorkerType
from safeguard.workforce.scim_schema import CORE_SCHEMA, ENTERPRISE_SCHEMA, WORK, UserModel

NOTHING = Q(pk__in=[])
EVERYTHING = Q()
TERMINATED = Q(status=Person.Status.TERMINATED)
HAS_EMAIL = ~Q(email="")


@dataclass(frozen=True)
class Column:
    """Where an attribute lives. `kind`: text (absent when ""), bool (true when `true`), datetime, or uuid."""

    field: str
    kind: str
    present: Q = EVERYTHING
    true: Q = EVERYTHING
    annotation: Expression | None = None


def _text(field: str, annotation: Expression | None = None) -> Column:
    return Column(field, "text", present=~Q(**{field: ""}), annotation=annotation)


USER_TYPE_LABEL = Case(
    *(When(worker_type=value, then=Value(label)) for value, label in WorkerType.choices),
    default=F("worker_type"),
    output_field=CharField(),
)
EMAIL_TYPE = Case(When(HAS_EMAIL, then=Value(WORK)), default=Value(""), output_field=CharField())


def _core(name: str) -> str:
    return f"{CORE_SCHEMA}:{name}".casefold()


def _enterprise(name: str) -> str:
    return f"{ENTERPRISE_SCHEMA}:{name}".casefold()


COLUMNS: dict[str, Column] = {
    _core("id"): Column("public_id", "uuid"),
    _core("externalId"): _text("external_id"),
    _core("userName"): _text("user_name"),
    _core("name.givenName"): _text("given_name"),
    _core("name.familyName"): _text("family_name"),
    _core("title"): _text("job_role"),
    _core("userType"): _text("scim_user_type", USER_TYPE_LABEL),
    _core("active"): Column("status", "bool", true=~TERMINATED),
    _core("emails.value"): _text("email"),
    _core("emails.type"): _text("scim_email_type", EMAIL_TYPE),
    _core("meta.created"): Column("created_at", "datetime"),
    _core("meta.lastModified"): Column("updated_at", "datetime"),
    _enterprise("employeeNumber"): _text("employee_id"),
    _enterprise("department"): _text("department"),
    _enterprise("manager.value"): Column("manager__public_id", "uuid", present=Q(manager__isnull=False)),
}
# Complex attributes named alone, in a presence test.
PRESENT: dict[str, Q] = {
    _core("name"): ~Q(given_name="") | ~Q(family_name=""),
    _core("emails"): HAS_EMAIL,
    _core("meta"): EVERYTHING,
    _enterprise("manager"): Q(manager__isnull=False),
}


def column_of(binding: AttributeBinding) -> Column:
    column = COLUMNS.get(binding.urn.casefold())
    if column is None:
        raise InvalidFilterException(detail=f"Filtering or sorting on {binding.urn} is not supported.")
    return column


class QueryBuilder(FilterVisitor[Q]):
    """Turns a filter's syntax tree into a Q object; `annotations` are the computed columns it refers to."""

    def __init__(self, scim_filter: ScimFilter[Any]) -> None:
        self.filter = scim_filter
        self.annotations: dict[str, Expression] = {}
        self.within: AttrPath | None = None  # the multi-valued attribute of a value selection being visited

    def _path(self, attr_path: AttrPath) -> AttrPath:
        if self.within is None:
            return attr_path
        return AttrPath(self.within.attr, attr_path.attr, self.within.uri)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        terms = [self.visit(term) for term in node.terms]
        combined = terms[0]
        for term in terms[1:]:
            combined = combined & term if node.op == LogicalOperator.and_ else combined | term
        return combined

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_value_path(self, node: ValuePath) -> Q:
        binding = self.filter.resolve(node.attr_path, strict=False)
        if binding is None:
            return NOTHING
        if binding.urn.casefold() != _core("emails"):
            raise InvalidFilterException(detail=f"Value selection on {binding.urn} is not supported.")
        # A person has at most one email: "some entry matches" is "the entry exists and matches".
        self.within = node.attr_path
        try:
            return HAS_EMAIL & self.visit(node.val_filter)
        finally:
            self.within = None

    def visit_present(self, node: Present) -> Q:
        binding = self.filter.resolve(self._path(node.attr_path), strict=False)
        if binding is None:
            return NOTHING
        if binding.urn.casefold() in PRESENT:
            return PRESENT[binding.urn.casefold()]
        return self._column(binding).present

    def visit_comparison(self, node: Comparison) -> Q:
        binding = self.filter.resolve_comparison(self._path(node.attr_path), strict=False)
        if binding is None:
            return NOTHING  # an attribute the User does not have matches nothing (RFC 7644 §3.4.2.1)
        column = self._column(binding)
        value = coerce_value(binding, node.value, node.op)
        if value is None:
            return _null(column, node.op)
        return COMPARERS[column.kind](self, column, node.op, value, binding.case_exact)

    def _column(self, binding: AttributeBinding) -> Column:
        column = column_of(binding)
        if column.annotation is not None:
            self.annotations[column.field] = column.annotation
        return column

    def text(self, column: Column, op: CompareOperator, value: Any, case_exact: bool) -> Q:
        if not isinstance(value, str):
            return _mismatch(op)
        field = column.field
        if op in SUBSTRING:
            lookup = SUBSTRING[op] if case_exact else f"i{SUBSTRING[op]}"
            return column.present & Q(**{f"{field}__{lookup}": value})
        if op in (CompareOperator.eq, CompareOperator.ne):
            equal = column.present & Q(**{f"{field}__{'exact' if case_exact else 'iexact'}": value})
            return equal if op == CompareOperator.eq else ~equal
        if not case_exact:
            field = f"scim_lower_{column.field}"
            self.annotations[field] = Lower(column.annotation or F(column.field))
            value = value.lower()
        return column.present & Q(**{f"{field}__{ORDERING[op]}": value})

    def boolean(self, column: Column, op: CompareOperator, value: Any, case_exact: bool) -> Q:
        equal = column.true if value else column.present & ~column.true
        return equal if op == CompareOperator.eq else ~equal

    def moment(self, column: Column, op: CompareOperator, value: Any, case_exact: bool) -> Q:
        if op in SUBSTRING or not isinstance(value, datetime):
            return _mismatch(op)
        lookup = "exact" if op in (CompareOperator.eq, CompareOperator.ne) else ORDERING[op]
        equal = Q(**{f"{column.field}__{lookup}": value})
        return ~equal if op == CompareOperator.ne else equal

    def identifier(self, column: Column, op: CompareOperator, value: Any, case_exact: bool) -> Q:
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilterException(detail="Identifiers can only be compared with eq and ne.")
        try:
            equal = column.present & Q(**{column.field: UUID(str(value))})
        except ValueError:
            equal = NOTHING
        return equal if op == CompareOperator.eq else ~equal


ORDERING = {CompareOperator.gt: "gt", CompareOperator.ge: "gte", CompareOperator.lt: "lt", CompareOperator.le: "lte"}
SUBSTRING = {CompareOperator.co: "contains", CompareOperator.sw: "startswith", CompareOperator.ew: "endswith"}
COMPARERS: dict[str, Callable[[QueryBuilder, Column, CompareOperator, Any, bool], Q]] = {
    "text": QueryBuilder.text,
    "bool": QueryBuilder.boolean,
    "datetime": QueryBuilder.moment,
    "uuid": QueryBuilder.identifier,
}


def _null(column: Column, op: CompareOperator) -> Q:
    """`eq null` matches an absent value, `ne null` a present one; nothing is ordered against null."""
    if op == CompareOperator.eq:
        return ~column.present
    if op == CompareOperator.ne:
        return column.present
    return NOTHING


def _mismatch(op: CompareOperator) -> Q:
    """Values of different types are never equal, so only `ne` holds."""
    return EVERYTHING if op == CompareOperator.ne else NOTHING


def filtered(people: QuerySet[Person], scim_filter: ScimFilter[Any] | None) -> QuerySet[Person]:
    if scim_filter is None:
        return people
    builder = QueryBuilder(scim_filter)
    condition = builder.visit(scim_filter.ast)
    return people.annotate(**builder.annotations).filter(condition)


def ordered(people: QuerySet[Person], search_request: SearchRequest[Any]) -> QuerySet[Person]:
    """Sorted as RFC 7644 §3.4.2.3 says (absent values last when ascending, first when descending), then by
    creation, so that pages are stable."""
    binding = search_request.sort_binding(UserModel)
    if binding is None:
        return people.order_by("pk")
    column = column_of(binding)
    if column.annotation is not None:
        people = people.annotate(**{column.field: column.annotation})
    value: Any = F(column.field)
    if column.kind == "text" and not binding.case_exact:
        value = Lower(value)
    elif column.kind == "bool":
        value = Case(When(column.true, then=Value(True)), default=Value(False), output_field=BooleanField())
    keys: list[Any] = [value]
    if column.present != EVERYTHING:
        keys.insert(0, Case(When(column.present, then=Value(0)), default=Value(1)))
    descending = search_request.sort_order == SearchRequest.SortOrder.descending
    # Equal values keep their creation order either way, as SearchRequest.sort keeps its input's.
    return people.order_by(*(key.desc() if descending else key.asc() for key in keys), "pk")
