"""The service's own tests: in-process, against the real stack."""
