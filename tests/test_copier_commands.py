"""One spelling of every Copier command that a user reads or CI runs, and each works as written.

The spellings (uvx comes with uv, so Copier needs no install of its own):

    uvx copier copy --trust ...
    uvx copier update --trust --defaults ...
    uvx copier check-update ...

Where commands are looked for: README.md, docs/**/*.md, the rendered README and the
generated CI files of a GitHub and a GitLab service. In Markdown, every line of a fenced code
block and every inline code span counts; an inline span that is exactly `copier update` (or
another subcommand, with nothing around it) names the command and is left alone. In CI files,
every line of `run` and `script` blocks counts, and the code spans of comments.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.support import ROOT, clean_env, git, render, run, snapshot_template
from tests.updates import commit_all, copier_copy, merge_problems, release

REQUIRED_OPTIONS = {
    "copy": ["--trust"],
    "update": ["--trust", "--defaults"],
    "check-update": [],
}
INVOCATION = re.compile(r"\bcopier\s+(?P<sub>copy|recopy|update|check-update)\b")
# Where a shell command starts: after these, or at the start of the snippet.
COMMAND_START = re.compile(r"\$\(|&&|\|\||[;|'\"`(]")
# Where a command's arguments end.
ARGUMENTS_END = re.compile(r"&&|\|\||[;|'\"`)#]")
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`]+)`")
SCRIPT_KEYS = frozenset({"run", "script", "before_script", "after_script"})

# Snippet: (where it was found, its text, whether it is an inline code span).
Snippet = tuple[str, str, bool]


def spelling_problems(snippet: str, *, inline: bool = False) -> list[str]:
    """What is wrong with each Copier invocation in ``snippet`` (nothing when canonical)."""
    problems = []
    for match in INVOCATION.finditer(snippet):
        sub = match["sub"]
        if inline and snippet.strip() == match[0]:
            continue  # `copier update` as the name of the command
        before = snippet[: match.start()]
        starts = [found.end() for found in COMMAND_START.finditer(before)]
        head = before[starts[-1] if starts else 0 :].strip()
        after = snippet[match.end() :]
        end = ARGUMENTS_END.search(after)
        options = after[: end.start() if end else len(after)].split()
        expected = ["uvx", "copier", sub, *REQUIRED_OPTIONS.get(sub, ["(not used)"])]
        if sub not in REQUIRED_OPTIONS or head != "uvx" or not _starts_with(options, sub):
            problems.append(
                f"{' '.join([head, match[0], *options]).strip()!r}: write it as "
                f"{' '.join([*expected, '...'])!r}"
            )
    return problems


def _starts_with(options: list[str], sub: str) -> bool:
    required = REQUIRED_OPTIONS[sub]
    return options[: len(required)] == required


def markdown_snippets(name: str, text: str) -> Iterator[Snippet]:
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            yield name, line, False
    for span in CODE_SPAN.findall(FENCE.sub("", text)):
        yield name, span, True


def ci_snippets(name: str, text: str) -> Iterator[Snippet]:
    for line in text.splitlines():
        comment = re.match(r"\s*#(.*)", line)
        if comment:
            for span in CODE_SPAN.findall(comment[1]):
                yield name, span, True
    for script in _scripts(yaml.safe_load(text)):
        for line in script.replace("\\\n", " ").splitlines():
            yield name, line, False


def _scripts(node: object) -> Iterator[str]:
    """Every string under a `run` (GitHub) or `script` (GitLab) key, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS:
                yield from _strings(value)
            else:
                yield from _scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _scripts(item)


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def ci_files(service: Path) -> list[Path]:
    return sorted([*service.glob(".github/workflows/*.yml"), *service.glob(".gitlab-ci.yml")])


@pytest.fixture(scope="module")
def services(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A GitHub and a GitLab service: between them, every generated CI file."""
    root = tmp_path_factory.mktemp("copier-commands")
    return [
        render(template_src, root / ci, {"ci": ci, "docker": True}) for ci in ("github", "gitlab")
    ]


def all_snippets(services: list[Path]) -> Iterator[Snippet]:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        yield from markdown_snippets(str(path.relative_to(ROOT)), path.read_text("utf-8"))
    for service in services:
        label = f"rendered ci={service.name}"
        readme = (service / "README.md").read_text("utf-8")
        yield from markdown_snippets(f"{label}: README.md", readme)
        for path in ci_files(service):
            relative = path.relative_to(service)
            yield from ci_snippets(f"{label}: {relative}", path.read_text("utf-8"))


def test_the_checker_tells_canonical_from_other_spellings() -> None:
    good = [
        "uvx copier copy --trust https://example.com/t.git my-service",
        "uvx copier update --trust --defaults -d metrics=false",
        'result="$(uvx copier check-update --output-format json)"',
        "echo \"run 'uvx copier update --trust --defaults', then commit\"",
        "uvx copier check-update --quiet || status=$?",
    ]
    bad = [
        "copier copy --trust https://example.com/t.git my-service",
        "uvx copier update --trust",
        "uvx --from 'copier>=9.19,<10' copier check-update",
        "python3 -m uv tool run copier copy --trust . x",
        "uvx copier recopy --trust",
        "cd x && copier update --trust --defaults",
    ]
    assert [line for line in good if spelling_problems(line)] == []
    assert [line for line in bad if not spelling_problems(line)] == []
    assert spelling_problems("copier update", inline=True) == []
    assert spelling_problems("copier update --defaults", inline=True) != []


def test_every_copier_command_has_the_one_spelling(services: list[Path]) -> None:
    snippets = list(all_snippets(services))
    found = [(where, text) for where, text, _ in snippets if INVOCATION.search(text)]
    # The sources do contain commands: an extractor that finds nothing proves nothing.
    assert any(where == "README.md" for where, _ in found)
    assert any("ci=github: .github/workflows" in where for where, _ in found)
    assert any("ci=gitlab: .gitlab-ci.yml" in where for where, _ in found)
    problems = [
        f"{where}: {problem}"
        for where, text, inline in snippets
        for problem in spelling_problems(text, inline=inline)
    ]
    assert problems == [], "\n".join(problems)


def load_bootstrap() -> ModuleType:
    """scripts/_uv.py, the uv finder the README's commands use."""
    spec = importlib.util.spec_from_file_location("_uv", ROOT / "scripts" / "_uv.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def readme_commands(readme: str, sub: str) -> list[str]:
    """The code-block lines of a README that run `uvx copier <sub>`, comments removed."""
    lines = []
    for block in FENCE.findall(readme):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            match = INVOCATION.search(command)
            if match and match["sub"] == sub:
                lines.append(command)
    return lines


@pytest.mark.slow
def test_update_commands_work_as_written(tmp_path: Path) -> None:
    """The README's `update` and `check-update`, run as written (through uv's uvx) in a
    committed service of a tagged template, bring in the next release."""
    template = snapshot_template(tmp_path / "template")
    git(template, "tag", "v1.0.0")
    service = tmp_path / "service"
    copier_copy(template, service, {}, ref="v1.0.0")  # a git repository with one commit

    readme = (service / "README.md").read_text("utf-8")
    [check] = readme_commands(readme, "check-update")
    [update] = readme_commands(readme, "update")
    assert [update] == readme_commands((ROOT / "README.md").read_text("utf-8"), "update")

    fix = "A security fix, released in v1.0.1."
    readme_template = template / "template" / "README.md.jinja"
    readme_template.write_text(readme_template.read_text("utf-8") + f"\n{fix}\n", "utf-8")
    release(template, "v1.0.1", "security fix")

    bootstrap = load_bootstrap()
    uvx = bootstrap.uvx(bootstrap.find_or_install())

    def as_written(command: str) -> str:
        words = shlex.split(command)
        assert words[0] == "uvx"
        result = run([*uvx, *words[1:]], service, env=clean_env(), timeout=300)
        return result.stdout + result.stderr

    before = as_written(check)
    assert "1.0.1" in before
    assert "up-to-date" not in before
    as_written(update)
    assert fix in (service / "README.md").read_text("utf-8")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_commit"] == "v1.0.1"
    assert merge_problems(service) == []
    commit_all(service, "update to v1.0.1")
    assert "up-to-date" in as_written(check)
