"""Tracker checks of workforce security that read accounts: 164.308(a)(3)(ii)(A) and (B)."""
