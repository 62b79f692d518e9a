"""Parsers by source format: `parser_for(format)` returns the one for a LogSource.format."""
