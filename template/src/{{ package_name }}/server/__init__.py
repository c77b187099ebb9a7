# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The HTTP server: uvicorn, with the limits on connections that uvicorn leaves open."""
