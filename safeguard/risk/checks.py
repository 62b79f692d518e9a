"""The risk app's tracker checks, one module per requirement (the tracker imports this module at start-up)."""

from safeguard.risk import checks_analysis, checks_management, checks_sanctions  # noqa: F401
