"""Persistence: async SQLAlchemy engine, models and Alembic migrations."""
