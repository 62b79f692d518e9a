"""What the workforce app registers with the core and the tracker: the roster importer, the workflow task planner,
checks, dashboard widgets and chores."""

from safeguard.workforce import checks, chores, demo, portability, roster_import, widgets  # noqa: F401
from safeguard.workforce.services import workflows  # noqa: F401
