"""The incident records an organization archive carries."""

from safeguard.core.portability.registry import register
from safeguard.incidents.models import Incident

register(Incident, "organization")
