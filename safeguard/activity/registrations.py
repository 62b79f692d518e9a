"""What the activity app registers with the core and the tracker: importers, checks, chores, dashboard widgets
and the demo story."""

from safeguard.activity import (  # noqa: F401
    checks,
    chores,
    demo,
    patient_flag_import,
    widgets,
)
