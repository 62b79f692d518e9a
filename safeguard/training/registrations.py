"""What the training app registers with the core, the tracker, the workforce and risk apps: importers, checks,
dashboard widgets, chores, signal receivers, the demo story and the archive's record types."""

from safeguard.training import (  # noqa: F401
    checks,
    chores_acks,
    chores_assignments,
    chores_phishing,
    chores_reminders,
    completion_import,
    demo,
    phishing_import,
    portability,
    receivers_roster,
    receivers_sanctions,
    widgets,
)
