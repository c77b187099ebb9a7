# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The service's command line: serve, check, migrate, and the commands of its auth backend."""

import argparse
import contextlib
import sys
from collections.abc import Sequence

import uvicorn

from . import TEMPLATE_VERSION, app, backends
from .hosts import is_loopback
from .server.options import fit_open_files, uvicorn_options
from .settings import Settings, load_settings
from .wiring import deploy_problems, deploy_warnings, left_unset, open_database, usable_settings

# Importing the app also imports its routes, which declare the scopes users can be given.
APP_FACTORY = f"{app.__name__}:{app.create_app.__name__}"


def _report(problems: list[str], warnings: list[str]) -> int:
    for warning in warnings:
        print(f"WARN {warning}", file=sys.stderr)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if problems else 0


def check(_: argparse.Namespace) -> int:
    settings = usable_settings()
    print(f"template: {TEMPLATE_VERSION}")
    if not settings.is_production:
        return check_before_production(settings)
    problems = deploy_problems(settings)
    if not problems:
        print("ok: every deploy check passed")
    return _report(problems, deploy_warnings(settings))


def check_before_production(settings: Settings) -> int:
    """`check` in development or test: these settings, read as production would read them.

    What production needs but is left unset here is a TODO, since development stands in for
    it (local host names, generated secrets, a local Redis, plain HTTP, ...); the defaults
    that development relaxes (HTTPS enforcement, the docs) are production's own there. A value
    set here that production would refuse is a failure.
    """
    production = load_settings(env="production")
    print(f"APP_ENV is {settings.env!r}: checking these settings as APP_ENV=production would")
    failures = []
    for problem in deploy_problems(production):
        if left_unset(production, problem):
            print(f"TODO {problem}")
        else:
            failures.append(problem)
    if not failures:
        print("ok: production would accept every value set here")
    return _report(failures, deploy_warnings(production))


def serve(_: argparse.Namespace) -> int:
    settings = usable_settings()
    if settings.is_production and _report(deploy_problems(settings), deploy_warnings(settings)):
        print("refusing to start: fix the settings above", file=sys.stderr)
        return 1
    if not settings.is_production and not is_loopback(settings.host):
        print(
            f"refusing to start: in {settings.env} mode APP_HOST must be a loopback address "
            "(127.0.0.1, ::1, localhost); to be reachable from elsewhere, run in production",
            file=sys.stderr,
        )
        return 1
    if settings.is_development:
        upgrade_database(settings)
    if shortfall := fit_open_files(settings.max_connections):
        print(f"warning: {shortfall}", file=sys.stderr)
    with contextlib.ExitStack() as shared_by_workers:
        for extension in backends.EXTENSIONS:
            shared_by_workers.enter_context(extension.serving(settings))
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            **uvicorn_options(settings),
            **backends.tls.server_options(settings),
        )
    return 0


def upgrade_database(settings: Settings) -> None:
    # Imported here, not above: Alembic costs every serving process memory it never uses.
    from .db.migrate import upgrade  # noqa: PLC0415

    upgrade(settings)


def run_migrations(_: argparse.Namespace) -> int:
    upgrade_database(usable_settings())
    print("database is up to date")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, help_text in (
        ("serve", serve, "run the API server (checks the settings first)"),
        ("check", check, "run the deploy checks; non-zero exit on any failure"),
        ("migrate", run_migrations, "apply database migrations"),
    ):
        commands.add_parser(name, help=help_text).set_defaults(handler=handler)
    backends.auth.add_commands(commands.add_parser, lambda: open_database(usable_settings()))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.handler(args)
