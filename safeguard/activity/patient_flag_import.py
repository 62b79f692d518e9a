"""Filled in by the patient_flag_import work of the activity app."""
