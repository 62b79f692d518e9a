"""Filled in by the widgets work of the activity app."""
