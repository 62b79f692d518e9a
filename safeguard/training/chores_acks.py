"""Training: chores_acks (filled in by its area)."""
