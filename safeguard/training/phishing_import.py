"""Training: phishing_import (filled in by its area)."""
