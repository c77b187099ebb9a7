"""`copier update` across changes of the questions, over two releases: v1.1.0 renames a
question and a `_migrations` entry carries the recorded answer over; v1.2.0 adds a question,
which `--defaults` answers with its default. Either way the updated service is exactly what a
new copy of v1.2.0 with the same choices renders."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.support import git, snapshot_template, tree_contents
from tests.updates import (
    append,
    commit_all,
    copier_copy,
    copier_update,
    edit,
    merge_problems,
    release,
)
from tests.variants import BASE_DATA

OLD_NAME, NEW_NAME = "log_sink", "log_format"
CHOICE = "json"  # not the default, so a lost answer would show
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
NEW_QUESTION = """
security_contact:
  type: str
  help: Address that receives reports of vulnerabilities in the service.
  default: security@example.com
"""
MIGRATION = f"""
_migrations:
  - version: v1.1.0
    when: "{{{{ _stage == 'before' }}}}"
    command:
      - "{{{{ _copier_python }}}}"
      - "{{{{ _copier_conf.src_path }}}}/hooks/rename_answer.py"
      - {OLD_NAME}
      - {NEW_NAME}
"""
# What a maintainer ships beside the migration: rename one key of the recorded answers.
RENAME_ANSWER = '''"""Rename a recorded answer: rename_answer.py OLD NEW (a `before` migration)."""

import re
import sys
from pathlib import Path

old, new = sys.argv[1:3]
answers = Path(".copier-answers.yml")
text = answers.read_text(encoding="utf-8")
answers.write_text(re.sub(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.M), encoding="utf-8")
'''


def rename_variable(text: str) -> str:
    """Rename the answer inside Jinja tags only: the rendered code keeps its own names."""
    pattern = re.compile(rf"\b{OLD_NAME}\b")
    return JINJA_TAG.sub(lambda tag: pattern.sub(NEW_NAME, tag.group(0)), text)


def rename_question(template: Path) -> None:
    """Release v1.1.0: the question and every use of its answer get the new name."""
    edit(template / "copier.yml", f"\n{OLD_NAME}:\n", f"\n{NEW_NAME}:\n")
    append(template / "copier.yml", MIGRATION)
    (template / "hooks" / "rename_answer.py").write_text(RENAME_ANSWER, encoding="utf-8")
    # Deepest paths first, so a renamed folder never hides the files below it.
    for path in sorted(
        (template / "template").rglob("*"), key=lambda p: len(p.parts), reverse=True
    ):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if (renamed := rename_variable(text)) != text:
                path.write_text(renamed, encoding="utf-8")
        if (name := rename_variable(path.name)) != path.name:
            path.rename(path.with_name(name))


def test_update_across_a_renamed_and_a_new_question(tmp_path: Path) -> None:
    template = snapshot_template(tmp_path / "template")
    assert yaml.safe_load((template / "copier.yml").read_text())[OLD_NAME]["default"] != CHOICE
    git(template, "tag", "v1.0.0")
    service = tmp_path / "service"
    copier_copy(template, service, {**BASE_DATA, OLD_NAME: CHOICE}, ref="v1.0.0")

    rename_question(template)
    release(template, "v1.1.0", f"Rename {OLD_NAME} to {NEW_NAME}")
    append(template / "copier.yml", NEW_QUESTION)
    append(
        template / "template" / "README.md.jinja",
        "\nReport vulnerabilities to {{ security_contact }}.\n",
    )
    release(template, "v1.2.0", "Ask for a security contact")

    copier_update(service, "--vcs-ref=v1.1.0")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers[NEW_NAME] == CHOICE
    assert OLD_NAME not in answers
    commit_all(service, "Update to v1.1.0")

    copier_update(service)
    assert merge_problems(service) == []
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.2.0"
    assert answers[NEW_NAME] == CHOICE
    assert answers["security_contact"] == "security@example.com"
    assert "Report vulnerabilities to security@example.com." in (service / "README.md").read_text()

    fresh = tmp_path / "fresh"
    copier_copy(template, fresh, {**BASE_DATA, NEW_NAME: CHOICE}, ref="v1.2.0")
    skip = frozenset({".env"})  # a fresh secret each copy
    assert tree_contents(service, skip=skip) == tree_contents(fresh, skip=skip)
