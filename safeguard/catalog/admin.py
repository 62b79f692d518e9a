"""The catalog is data loaded from a file (`manage.py catalog_load`); the admin only shows it."""

from django.contrib import admin

from safeguard.catalog.models import Requirement
from safeguard.core.admin import ReadOnlyAdmin


@admin.register(Requirement)
class RequirementAdmin(ReadOnlyAdmin):
    list_display = ("citation", "title", "kind", "required", "safeguard", "position")
    list_filter = ("safeguard", "kind", "required")
    search_fields = ("citation", "title")
    ordering = ("position",)
