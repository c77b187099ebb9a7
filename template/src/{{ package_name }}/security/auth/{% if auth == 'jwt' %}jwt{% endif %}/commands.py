# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`create-user USERNAME --scope S ... [--password-stdin]`: a user who can log in;
`prune-sessions`: delete expired refresh tokens (run it daily, e.g. from cron)."""

import argparse
import asyncio
import getpass
import sys

from ....seams import AddCommand, OpenDatabase
from ...constant_time import equal
from ..principal import known_scopes
from .accounts import AccountError, create_user, prune_expired
from .passwords import PasswordHasher


def add_commands(add_command: AddCommand, open_database: OpenDatabase) -> None:
    def run(args: argparse.Namespace) -> int:
        return _create_user(args, open_database)

    command = add_command("create-user", help="create a user who can log in")
    command.add_argument("username")
    command.add_argument(
        "--scope",
        action="append",
        default=[],
        help="grant a scope (repeatable; at least one), e.g. items:read",
    )
    command.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    command.set_defaults(handler=run)
    prune = add_command("prune-sessions", help="delete expired refresh tokens (run daily)")
    prune.set_defaults(handler=lambda _: _prune_sessions(open_database))


def _prune_sessions(open_database: OpenDatabase) -> int:
    database = open_database()

    async def prune() -> int:
        try:
            async with database.sessions() as session:
                return await prune_expired(session)
        finally:
            await database.dispose()

    print(f"deleted {asyncio.run(prune())} expired refresh tokens")
    return 0


def _read_password(from_stdin: bool) -> str | None:
    """The password from stdin or, twice, from the terminal; None when the two differ."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")
    password = getpass.getpass("Password: ")
    return password if equal(getpass.getpass("Repeat password: "), password) else None


def _create_user(args: argparse.Namespace, open_database: OpenDatabase) -> int:
    known = known_scopes()
    if not args.scope or not set(args.scope) <= known:
        unknown = sorted(set(args.scope) - known)
        reason = f"unknown scopes {', '.join(unknown)}" if unknown else "no --scope given"
        print(f"cannot create user: {reason} (known: {', '.join(sorted(known))})", file=sys.stderr)
        return 1
    try:
        password = _read_password(args.password_stdin)
    except EOFError:
        print(
            "cannot create user: no password given (use a terminal or --password-stdin)",
            file=sys.stderr,
        )
        return 1
    if password is None:
        print("passwords do not match", file=sys.stderr)
        return 1

    database = open_database()

    async def create() -> None:
        try:
            async with database.sessions() as session:
                await create_user(session, PasswordHasher(), args.username, password, args.scope)
        finally:
            await database.dispose()

    try:
        asyncio.run(create())
    except AccountError as error:
        print(f"cannot create user: {error}", file=sys.stderr)
        return 1
    print(f"created user {args.username!r} with scopes: {' '.join(sorted(set(args.scope)))}")
    return 0
