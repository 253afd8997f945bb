"""Data layer: models, engine and sessions, and the one place that applies a user's scope."""
