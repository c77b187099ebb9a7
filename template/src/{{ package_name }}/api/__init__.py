"""HTTP routes. Yours to grow: add routers here and include them in `router.py`.

`health.py`, `deps.py` and `metrics.py` (when present) are template-owned."""
