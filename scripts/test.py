"""Run the template's whole test suite: `uv run pytest`, with uv found or installed first.

    python3 scripts/test.py [PYTEST ARGS]     e.g. -m "not slow", or --variant default

It renders every variant, runs each one's own suite and checks updates; the suites need
Redis and PostgreSQL on 127.0.0.1 (see the README's Contributing section).
"""

from __future__ import annotations

import shlex
import sys

import _uv


def main() -> None:
    uv = _uv.find_or_install()
    _uv.show(shlex.join(["uv", "run", "pytest", *sys.argv[1:]]))
    _uv.replace_process([uv, "run", "pytest", *sys.argv[1:]], _uv.ROOT)


if __name__ == "__main__":
    _uv.main_guard(main)
