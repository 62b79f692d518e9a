"""Sign-in, one-time code and password reset forms. They check shape; the services decide."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.validators import RegexValidator

from safeguard.core.models import User

WRONG_LOGIN = "Wrong email or password."


class LoginForm(AuthenticationForm):
    """Email and password. Every refusal reads the same, so the form never tells which of the two was wrong."""

    error_messages = {"invalid_login": WRONG_LOGIN, "inactive": WRONG_LOGIN}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"] = forms.CharField(
            label="Email",
            max_length=254,
            widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        )

    def clean_username(self) -> str:
        # Sign in with the stored spelling, so "Ann@Clinic.test" works and lockout counts one account once.
        typed = self.cleaned_data["username"].strip()
        stored = User.objects.filter(email__iexact=typed).values_list("email", flat=True).first()
        return stored or typed


class CodeForm(forms.Form):
    """The sign-in second step: six digits from the app, or one recovery code."""

    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=32,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false"}),
    )


class TotpCodeForm(forms.Form):
    code = forms.CharField(
        label="Six-digit code from your authenticator app",
        max_length=12,
        validators=[RegexValidator(r"^\s*\d{3}\s?\d{3}\s*$", "Enter the six digits the app shows.")],
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*"}
        ),
    )


class ResetForm(PasswordResetForm):
    """Also reaches accounts that never had a password (people added by email), so they can set their first one."""

    def get_users(self, email: str) -> Iterator[Any]:
        # Compare case-folded forms as Django does, so a look-alike Unicode address cannot receive the link.
        wanted = _folded(email)
        return (u for u in User.objects.filter(email__iexact=email, is_active=True) if _folded(u.email) == wanted)


def _folded(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()
