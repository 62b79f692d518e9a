"""Tracker checks of workforce security: 164.308(a)(3)(ii)(A), (B) and (C)."""
