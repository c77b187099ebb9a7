# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Authentication and authorization: who is calling, and may they do this."""
