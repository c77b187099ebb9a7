# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`create-api-key NAME --scope S ... [--expires-in-days N]`: a new key, printed once;
`revoke-api-key NAME`: refused by every worker from its next request on."""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from ....seams import AddCommand, OpenDatabase
from ..principal import known_scopes
from .store import ApiKeyError, create_key, revoke_key

T = TypeVar("T")


class CommandError(Exception):
    """What stops a command, in one line that is safe to print."""


def add_commands(add_command: AddCommand, open_database: OpenDatabase) -> None:
    create = add_command(
        "create-api-key", help="create an API key and print it, once, on standard output"
    )
    create.add_argument("name", help="who or what uses the key, e.g. billing-job (unique)")
    create.add_argument(
        "--scope",
        action="append",
        default=[],
        help="grant a scope (repeatable; at least one), e.g. items:read",
    )
    create.add_argument(
        "--expires-in-days", type=int, default=None, help="refuse the key after N days"
    )
    create.set_defaults(handler=lambda args: _create(args, open_database))
    revoke = add_command("revoke-api-key", help="revoke an API key, in every worker at once")
    revoke.add_argument("name")
    revoke.set_defaults(handler=lambda args: _revoke(args, open_database))


def _in_session(open_database: OpenDatabase, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` done in a session of the database; its refusals and database errors become a
    `CommandError` (the error's kind only: its text may quote the database URL)."""
    database = open_database()

    async def run() -> T:
        try:
            async with database.sessions() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except ApiKeyError as error:
        raise CommandError(str(error)) from None
    except SQLAlchemyError as error:
        kind = type(error).__name__
        raise CommandError(f"database error ({kind}); is it migrated (`migrate`)?") from None


def _create(args: argparse.Namespace, open_database: OpenDatabase) -> int:
    known = known_scopes()
    if not args.scope or not set(args.scope) <= known:
        unknown = sorted(set(args.scope) - known)
        reason = f"unknown scopes {', '.join(unknown)}" if unknown else "no --scope given"
        print(
            f"cannot create API key: {reason} (known: {', '.join(sorted(known))})",
            file=sys.stderr,
        )
        return 1
    try:
        _, created = _in_session(
            open_database,
            lambda session: create_key(
                session, args.name, args.scope, expires_in_days=args.expires_in_days
            ),
        )
    except CommandError as error:
        print(f"cannot create API key: {error}", file=sys.stderr)
        return 1
    scopes = " ".join(sorted(set(args.scope)))
    print(
        f"created API key {args.name!r} with scopes: {scopes} (on standard output; it is "
        "stored only as a hash and cannot be shown again)",
        file=sys.stderr,
    )
    print(created.key)
    return 0


def _revoke(args: argparse.Namespace, open_database: OpenDatabase) -> int:
    try:
        _in_session(open_database, lambda session: revoke_key(session, args.name))
    except CommandError as error:
        print(f"cannot revoke API key: {error}", file=sys.stderr)
        return 1
    print(f"revoked API key {args.name!r}")
    return 0
