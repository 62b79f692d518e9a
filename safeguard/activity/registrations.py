"""What the activity app registers with the core and the tracker: importers, checks, chores, signal receivers,
dashboard widgets and the demo story."""

from safeguard.activity import (  # noqa: F401
    checks,
    chores_alerts,
    chores_evaluation,
    chores_ingestion,
    chores_retention,
    chores_reviews,
    chores_rule_tests,
    demo,
    patient_flag_import,
    portability,
    receivers,
    widgets,
)
