"""Demo data and scheme files."""
