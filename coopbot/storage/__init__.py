"""Persistence: SQLModel tables, engine factory, migrations and repositories."""
