"""CHANGELOG.md is what `copier update` users read: Keep a Changelog, a Security section per
release, releases newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from tests.support import ROOT

CHANGELOG = ROOT / "CHANGELOG.md"
CATEGORIES = ("Security", "Added", "Changed", "Deprecated", "Removed", "Fixed")
RELEASE = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")


@dataclass
class Section:
    heading: str
    categories: dict[str, list[str]] = field(default_factory=dict)


def sections(text: str) -> list[Section]:
    """The `##` sections with their `###` categories and the entries (`- ` lines) of each."""
    found: list[Section] = []
    category: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            found.append(Section(line))
            category = None
        elif line.startswith("### "):
            assert found, f"{line!r} before any release heading"
            category = found[-1].categories.setdefault(line.removeprefix("### "), [])
        elif line.startswith("- "):
            assert category is not None, f"entry outside a category: {line!r}"
            category.append(line)
    return found


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_changelog_follows_keep_a_changelog() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "keepachangelog.com" in text
    found = sections(text)
    assert found[0].heading == "## [Unreleased]", "the first section collects unreleased changes"
    releases = found[1:]
    assert releases, "at least one release"
    versions: list[tuple[int, ...]] = []
    dates: list[date] = []
    for release in releases:
        match = RELEASE.match(release.heading)
        assert match, f"{release.heading!r} is not `## [X.Y.Z] - YYYY-MM-DD`"
        versions.append(version_key(match["version"]))
        dates.append(date.fromisoformat(match["date"]))
        unknown = set(release.categories) - set(CATEGORIES)
        assert not unknown, f"{release.heading}: categories must be among {CATEGORIES}"
        assert "Security" in release.categories, f"{release.heading} has no Security section"
        assert release.categories["Security"], f"{release.heading}: an empty Security section"
        order = [name for name in CATEGORIES if name in release.categories]
        assert list(release.categories) == order, f"{release.heading}: categories out of order"
    assert versions == sorted(versions, reverse=True), "releases must be newest first"
    assert len(set(versions)) == len(versions), "a version is listed twice"
    assert dates == sorted(dates, reverse=True), "release dates must be newest first"
    unknown = set(found[0].categories) - set(CATEGORIES)
    assert not unknown, f"[Unreleased]: categories must be among {CATEGORIES}"
