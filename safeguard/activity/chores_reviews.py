"""Filled in by the chores_reviews work of the activity app."""
