"""Filled in by the receivers work of the activity app."""
