"""What the access app registers with the core and the workforce app: importers, task planners, chores, checks."""
