# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Logging and monitoring: request ids, access records, security events and their observers."""
