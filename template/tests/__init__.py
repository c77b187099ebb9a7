# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The service's own tests: in-process, against the real stack."""
