"""Filled in by the chores work of the activity app."""
