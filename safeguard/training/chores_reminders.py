"""Training: chores_reminders (filled in by its area)."""
