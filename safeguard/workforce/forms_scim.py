"""SCIM token form: shape only; the rules live in safeguard.workforce.services.scim_tokens."""

from django import forms


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, e.g. “Okta” or “Entra ID”: it names the changes it makes."
    )
