"""Training: widgets (filled in by its area)."""
