"""Training: receivers_roster (filled in by its area)."""
