# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Which route a request is for, by method and path, without FastAPI's router: for the layers
that act before routing (body limits, refusals answered early, access records of those).

Built from the app's routes at the first lookup (FastAPI's public `iter_route_contexts`, with
the full path templates of included routers): a dictionary for fixed paths, then the patterns
of paths with parameters, in routing order.
"""

import re

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts


class RouteIndex:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self._fixed: dict[tuple[str, str], RouteContext] | None = None
        self._patterns: list[tuple[frozenset[str], re.Pattern[str], RouteContext]] = []

    def __call__(self, method: str, path: str) -> RouteContext | None:
        if self._fixed is None:
            self._fixed = self._load()
        found = self._fixed.get((method, path))
        if found is None:
            for methods, pattern, context in self._patterns:
                if (not methods or method in methods) and pattern.match(path):
                    return context
        return found

    def _load(self) -> dict[tuple[str, str], RouteContext]:
        fixed: dict[tuple[str, str], RouteContext] = {}
        for context in iter_route_contexts(self.app.routes):
            if not context.path_format or context.path_regex is None:
                continue
            methods = frozenset(context.methods or ())
            if "{" in context.path_format or not methods:
                self._patterns.append((methods, context.path_regex, context))
            else:
                for method in methods:
                    fixed.setdefault((method, context.path_format), context)
        return fixed
