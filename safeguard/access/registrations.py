"""What the access app registers with the core, the tracker and the workforce app: the account importer, the
workflow task planner, checks, dashboard widgets and chores."""

from safeguard.access import (  # noqa: F401
    account_import,
    checks_breakglass,
    checks_reviews,
    checks_workforce,
    chores,
    chores_reviews,
    demo,
    planning,
    portability,
    widgets_accounts,
    widgets_reviews,
)
