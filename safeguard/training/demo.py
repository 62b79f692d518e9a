"""Training: demo (filled in by its area)."""
