"""Training: receivers_sanctions (filled in by its area)."""
