"""Filled in by the chores_retention work of the activity app."""
