from safeguard.incidents.models.incidents import Incident, IncidentSeverity, IncidentStatus

__all__ = ["Incident", "IncidentSeverity", "IncidentStatus"]
