"""HTTP routes. These are yours: add routers here and include them in `router.py`."""
