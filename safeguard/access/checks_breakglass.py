"""Tracker check of the break-glass register: 164.312(a)(2)(ii)."""
