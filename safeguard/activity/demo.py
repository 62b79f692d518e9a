"""Filled in by the demo work of the activity app."""
