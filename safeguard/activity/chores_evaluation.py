"""Filled in by the chores_evaluation work of the activity app."""
