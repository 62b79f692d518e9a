"""The form of the "Verify a certificate" page: shape only; what a code says is read by certificate_codes.py."""

from __future__ import annotations

from django import forms

from safeguard.training.certificate_codes import CODE_MAX


class CertificateVerifyForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=CODE_MAX * 2,  # room for the line breaks a code copied from a PDF comes back with
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Copy the code printed at the foot of the certificate; line breaks and spaces are ignored.",
    )
