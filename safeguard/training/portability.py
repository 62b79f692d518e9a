"""Training: portability (filled in by its area)."""
