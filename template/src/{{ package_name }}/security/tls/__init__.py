# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Where TLS ends: one module per `tls` choice, giving `serve` its uvicorn options."""
