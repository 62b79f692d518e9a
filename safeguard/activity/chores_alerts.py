"""Filled in by the chores_alerts work of the activity app."""
