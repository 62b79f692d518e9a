"""Training: chores_assignments (filled in by its area)."""
