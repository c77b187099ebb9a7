# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`create-user USERNAME --scope S ... [--password-stdin]`: a user who can log in."""

import argparse
import asyncio
import getpass
import sys

from ....seams import AddCommand, OpenDatabase
from ....settings import settings_or_exit
from .accounts import AccountError, create_user
from .passwords import PasswordHasher


def add_commands(add_command: AddCommand, open_database: OpenDatabase) -> None:
    def run(args: argparse.Namespace) -> int:
        return _create_user(args, open_database)

    command = add_command("create-user", help="create a user who can log in")
    command.add_argument("username")
    command.add_argument(
        "--scope", action="append", default=[], help="grant a scope (repeatable), e.g. items:read"
    )
    command.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    command.set_defaults(handler=run)


def _create_user(args: argparse.Namespace, open_database: OpenDatabase) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("passwords do not match", file=sys.stderr)
            return 1

    database = open_database(settings_or_exit())

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
