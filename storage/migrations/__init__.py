"""Alembic migrations of sohoa's records (same scripts on PostgreSQL and SQLite)."""
