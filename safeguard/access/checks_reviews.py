"""Tracker checks of access reviews: 164.308(a)(4)(ii)(B) and (C)."""
