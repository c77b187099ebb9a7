# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Log sinks: one module per `log_sink` choice, each with `add()` and `deploy_problems()`.

`batching.py` writes every sink's request records in batches, off the event loop.
"""
