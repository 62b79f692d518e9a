"""What the workforce app registers with the core: importers, workflow task planners, chores, checks."""
