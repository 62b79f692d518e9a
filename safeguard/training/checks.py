"""Training: checks (filled in by its area)."""
