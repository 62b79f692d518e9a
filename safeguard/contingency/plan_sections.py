"""The structured sections of a plan version: the rules each list item must follow, the call tree the contacts
form, and which sections differ between two versions. Messages name the item (“Contact 3 (Ann Lee): …”) so a
person can find it in a long list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from safeguard.core.services.errors import ServiceError

ROLE_KEYS = ("role", "person", "alternate", "duties")
CONTACT_KEYS = ("name", "organization", "kind", "role", "phone", "email", "called_by")
TEMPLATE_KEYS = ("audience", "subject", "body")
CONTACT_KINDS = {"internal": "Internal", "vendor": "Vendor", "business_associate": "Business associate"}
ITEM_MAX = 200  # characters in one short value (a name, a phone, a subject)
BODY_MAX = 10_000

# Section field → the heading the plan prints it under, in the printed order.
SECTIONS = {
    "activation_criteria": "Activation criteria",
    "roles": "Roles and alternates",
    "contacts": "Contacts and call tree",
    "manual_procedures": "Manual procedures (first 24–72 hours)",
    "templates": "Communication templates",
    "return_criteria": "Return-to-normal criteria",
    "covered_assets": "Covered assets",
    "recovery_order": "Recovery order",
}


def _rows(value: object, what: str, section: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(row, Mapping) for row in value):
        raise ServiceError(f"{what.capitalize()}s must be a list of objects.", field=section)
    return value


def _cleaned(row: Mapping[str, Any], keys: Sequence[str], label: str, section: str) -> dict[str, str]:
    unknown = sorted(set(row) - set(keys))
    if unknown:
        raise ServiceError(f"{label}: unknown field {', '.join(unknown)}; use {', '.join(keys)}.", field=section)
    cleaned = {}
    for key in keys:
        value = row.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ServiceError(f"{label}: {key} must be text.", field=section)
        limit = BODY_MAX if key in ("body", "duties") else ITEM_MAX
        if len(value.strip()) > limit:
            raise ServiceError(f"{label}: {key} is longer than {limit} characters.", field=section)
        cleaned[key] = value.strip()
    return cleaned


def clean_roles(value: object) -> list[dict[str, str]]:
    roles = []
    for number, row in enumerate(_rows(value, "role", "roles"), start=1):
        label = f"Role {number}"
        role = _cleaned(row, ROLE_KEYS, label, "roles")
        label = f"Role {number} ({role['role']})" if role["role"] else label
        if not role["role"]:
            raise ServiceError(f"{label}: name the role, e.g. “Incident commander”.", field="roles")
        if not role["person"]:
            raise ServiceError(f"{label}: name the person who fills it.", field="roles")
        if role["alternate"] and role["alternate"].lower() == role["person"].lower():
            raise ServiceError(f"{label}: the alternate must be someone other than {role['person']}.", field="roles")
        roles.append(role)
    return roles


def clean_contacts(value: object) -> list[dict[str, str]]:
    contacts: list[dict[str, str]] = []
    for number, row in enumerate(_rows(value, "contact", "contacts"), start=1):
        contact = _cleaned(row, CONTACT_KEYS, f"Contact {number}", "contacts")
        label = f"Contact {number} ({contact['name']})" if contact["name"] else f"Contact {number}"
        if not contact["name"]:
            raise ServiceError(f"{label}: give the contact's name.", field="contacts")
        if contact["kind"] not in CONTACT_KINDS:
            raise ServiceError(f"{label}: kind must be one of {', '.join(CONTACT_KINDS)}.", field="contacts")
        if not contact["phone"]:
            # The plan is used when systems are down: e-mail may be down with them.
            raise ServiceError(f"{label}: give a phone number; e-mail may be down too.", field="contacts")
        if any(other["name"].lower() == contact["name"].lower() for other in contacts):
            raise ServiceError(f"{label}: another contact has the same name.", field="contacts")
        contacts.append(contact)
    _check_call_tree(contacts)
    return contacts


def _check_call_tree(contacts: list[dict[str, str]]) -> None:
    by_name = {contact["name"].lower(): contact for contact in contacts}
    for number, contact in enumerate(contacts, start=1):
        caller = contact["called_by"]
        label = f"Contact {number} ({contact['name']})"
        if caller.lower() == contact["name"].lower():
            raise ServiceError(f"{label}: a contact cannot call themselves.", field="contacts")
        if caller and caller.lower() not in by_name:
            raise ServiceError(f"{label}: called by “{caller}”, who is not in the contact list.", field="contacts")
    for number, contact in enumerate(contacts, start=1):
        path = [contact["name"]]
        current = contact
        while current["called_by"]:
            current = by_name[current["called_by"].lower()]
            path.append(current["name"])
            if current is contact:
                loop = " → ".join(path)
                raise ServiceError(
                    f"Contact {number} ({contact['name']}): the call tree goes round in a loop ({loop}).",
                    field="contacts",
                )
            if len(path) > len(contacts):
                break  # a loop further up, reported for the contact inside it


def clean_templates(value: object) -> list[dict[str, str]]:
    templates = []
    for number, row in enumerate(_rows(value, "template", "templates"), start=1):
        template = _cleaned(row, TEMPLATE_KEYS, f"Template {number}", "templates")
        label = f"Template {number}"
        for key in TEMPLATE_KEYS:
            if not template[key]:
                raise ServiceError(f"{label}: the {key} is missing.", field="templates")
        templates.append(template)
    return templates


@dataclass
class CallTreeNode:
    contact: dict[str, str]
    calls: list[CallTreeNode] = field(default_factory=list)


def call_tree(contacts: Sequence[Mapping[str, str]]) -> list[CallTreeNode]:
    """The contacts nobody calls at the top, each with the contacts they call, in list order."""
    nodes = [CallTreeNode(dict(contact)) for contact in contacts]
    by_name = {node.contact["name"].lower(): node for node in nodes}
    roots = []
    for node in nodes:
        caller = by_name.get(node.contact.get("called_by", "").lower())
        if caller is None or caller is node:
            roots.append(node)
        else:
            caller.calls.append(node)
    return roots


def sections_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """The headings of the sections whose content differs; every section with content for a first version."""
    if before is None:
        return [label for name, label in SECTIONS.items() if after.get(name)]
    return [label for name, label in SECTIONS.items() if before.get(name) != after.get(name)]
