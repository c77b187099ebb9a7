# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The readiness check reads the migration history as Alembic does, without importing it."""

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from .conftest import explicit_settings
from .databases import connect, empty_database
from .package import alembic_config, backends, head_revisions, upgrade

PACKAGE = backends.__name__.rpartition(".")[0]


def alembic_heads(location: Path | None = None) -> frozenset[str]:
    if location is None:
        return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())
    return frozenset(ScriptDirectory(str(location)).get_heads())


def test_the_shipped_migrations_have_the_heads_alembic_finds() -> None:
    assert head_revisions() == alembic_heads()
    assert len(head_revisions()) == 1


def test_every_migration_can_be_undone_and_applied_again(tmp_path: Path) -> None:
    with empty_database(tmp_path, "undone") as url:
        settings = explicit_settings(url)
        upgrade(settings)
        command.downgrade(alembic_config(settings), "base")
        with connect(url) as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(settings)
        with connect(url) as connection:
            assert "items" in inspect(connection).get_table_names()


def write_revision(versions: Path, revision: str, revises: str | tuple[str, ...] | None) -> None:
    (versions / f"{revision}_step.py").write_text(
        f'"""Step {revision}."""\n\n'
        "from alembic import op\n\n"
        f"revision: str = {revision!r}\n"
        f"down_revision = {revises!r}\n"
        "branch_labels = None\n\n\n"
        "def upgrade() -> None:\n"
        "    op.execute('SELECT 1')\n"
    )


@pytest.mark.parametrize(
    ("history", "heads"),
    [
        ({"a": None}, {"a"}),
        ({"a": None, "b": "a", "c": "b"}, {"c"}),
        ({"a": None, "b": "a", "c": "a"}, {"b", "c"}),  # two branches
        ({"a": None, "b": "a", "c": "a", "m": ("b", "c")}, {"m"}),  # merged again
    ],
)
def test_heads_of_a_history_are_alembics(
    tmp_path: Path, history: dict[str, str | tuple[str, ...] | None], heads: set[str]
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, revises in history.items():
        write_revision(versions, revision, revises)
    assert head_revisions(versions) == heads == alembic_heads(tmp_path)


def test_serving_does_not_import_alembic() -> None:
    """Alembic costs every serving process about 11 MiB; only commands that migrate load it."""
    probe = f"import sys, {PACKAGE}.cli; print('alembic' in sys.modules)"
    done = subprocess.run(  # noqa: S603 - our own interpreter and package
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"
