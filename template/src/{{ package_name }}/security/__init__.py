# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Security layers: transport, headers, body limits, authentication, rate limiting, TLS."""
