"""Filled in by the checks work of the activity app."""
