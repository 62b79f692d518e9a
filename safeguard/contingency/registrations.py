"""What the contingency app registers with the core and the tracker: archive records, checks, chores, dashboard
widgets and the demo story. Each module registers itself when imported."""

from safeguard.contingency import (  # noqa: F401
    asset_recovery_panel,
    checks_backups,
    checks_criticality,
    checks_plans,
    checks_testing,
    chores,
    chores_uploads,
    demo,
    portability,
    widgets,
)
from safeguard.contingency.services import restore_import, vendors  # noqa: F401
