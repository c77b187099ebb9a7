# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Readiness of the database: it is at the newest revision this code knows, and answers.

Serving never imports Alembic (about 11 MiB per worker, with every dialect it knows): the
revisions are read from the migration scripts' own `revision` and `down_revision` lines.
`tests/test_migrations.py` holds this reading equal to Alembic's.
"""

import ast
from pathlib import Path

from sqlalchemy import select, text

from ..services import ReadinessCheck
from .base import Base
from .engine import Database

VERSIONS = Path(__file__).with_name("migrations") / "versions"
VERSION_QUERY = text("SELECT version_num FROM alembic_version")  # Alembic's default table


class SchemaNotAtHeadError(RuntimeError):
    """The database answers, but its migrations are not the newest ones."""


def head_revisions(versions: Path = VERSIONS) -> frozenset[str]:
    """The newest revision(s) of the migration scripts in `versions`: every revision that no
    other one revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in versions.glob("*.py"):
        declared = _declared(script)
        if isinstance(revision := declared.get("revision"), str):
            revisions.add(revision)
            down = declared.get("down_revision")
            if isinstance(down, str):
                revised.add(down)
            elif isinstance(down, tuple | list):  # a merge revises several
                revised.update(str(name) for name in down)
    return frozenset(revisions - revised)


def _declared(script: Path) -> dict[str, object]:
    """The literal values a migration script assigns at its top level."""
    found: dict[str, object] = {}
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        targets: list[ast.expr]
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                try:
                    found[target.id] = ast.literal_eval(value)
                except ValueError:
                    continue  # not a literal: not one of the revision lines
    return found


def schema_check(database: Database) -> ReadinessCheck:
    """A readiness check: the database is at the newest revision this code knows, and answers
    a query on every table the code maps. A missing, corrupted or unmigrated database fails
    it, where `SELECT 1` would not (it reads no table)."""
    heads = head_revisions()  # read the migration scripts once, at start-up
    # Whole rows, so that the table itself is read and not only a smaller index.
    probes = [select(table).limit(1) for table in Base.metadata.tables.values()]

    async def check() -> None:
        async with database.engine.connect() as connection:
            # Fails, as it should, when the table is missing: the database was never migrated.
            current = frozenset((await connection.scalars(VERSION_QUERY)).all())
            if current != heads:
                raise SchemaNotAtHeadError("the database is not at the newest revision: migrate it")
            for probe in probes:
                await connection.execute(probe)

    return check
