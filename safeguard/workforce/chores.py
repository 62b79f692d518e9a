"""Daily chores of the workforce app: overdue workflow tasks."""
