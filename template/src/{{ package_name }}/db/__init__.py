# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Persistence: the async engine, the table base, migrations; `models.py` holds your tables."""
