"""Dashboard widgets of the workforce app: leaver SLA performance."""
