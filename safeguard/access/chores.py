"""Daily chores of the access app: overdue break-glass reviews and revocations."""
