"""Training: completion_import (filled in by its area)."""
