"""Daily chores of access reviews: overdue revocations."""
