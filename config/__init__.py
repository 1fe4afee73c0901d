"""Settings schema and the default policy file."""
