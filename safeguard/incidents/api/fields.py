"""A code field: one of a fixed set of values, documented as a string rather than an enum component, because the
API already has several unrelated "status" and "severity" enums whose generated names would collide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import serializers


class OneOf(serializers.CharField):
    def __init__(self, values: Sequence[str], **kwargs: Any) -> None:
        self.values = tuple(values)
        listed = ", ".join(self.values)
        help_text = kwargs.pop("help_text", "")
        kwargs["help_text"] = f"{help_text} One of: {listed}.".strip()
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value not in self.values:
            raise serializers.ValidationError(f"Use one of: {', '.join(self.values)}.")
        return value
