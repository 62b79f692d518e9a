"""The backup hook token form: shape only; the rules live in contingency.services.hook_tokens."""

from __future__ import annotations

from django import forms


class HookTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Which tool or server will use it, e.g. “Veeam on backup01”.")
