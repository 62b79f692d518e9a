"""Forms of the core's organization pages, one module per area. Forms parse input; services hold the rules."""

from django import forms

from safeguard.core.services.errors import ServiceError


def show_service_error(form: forms.Form, error: ServiceError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form field it names (renamed through `aliases`), else on the whole form."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)
