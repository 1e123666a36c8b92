"""Stacks only wire constructs together; each takes the typed EnvironmentConfig."""
