"""The rendered service records the template version it came from."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.support import git, render, snapshot_template


def test_the_service_records_its_template_version(tmp_path: Path) -> None:
    """`TEMPLATE_VERSION` in the package is Copier's `_commit`: the tag, or tag-N-gHASH after
    it; `check` prints it (the rendered suite's test_cli.py)."""
    template = snapshot_template(tmp_path / "template")
    git(template, "tag", "v1.2.3")
    tagged = render(template, tmp_path / "tagged", {})
    (template / "NOTES.md").write_text("a commit after the tag\n")
    git(template, "add", "NOTES.md")
    git(template, "commit", "--quiet", "--no-gpg-sign", "--message", "after the tag")
    later = render(template, tmp_path / "later", {})
    for service, expected in ((tagged, r"v1\.2\.3"), (later, r"v1\.2\.3-1-g[0-9a-f]{7,}")):
        answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
        assert re.fullmatch(expected, answers["_commit"])
        package = service / "src" / answers["package_name"]
        assert f'TEMPLATE_VERSION = "{answers["_commit"]}"' in (package / "__init__.py").read_text()
