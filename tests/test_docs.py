"""The documentation site: a strict offline build, every page in the nav, and pages that
tell the truth about the files, tests, questions and numbers they cite."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, TOOL_DIRS, clean_env, run, tool
from tests.variants import VARIANTS, Variant, choice_defaults, copier_config

DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"

Render = Callable[[Variant], Path]

CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
# A code span that names a file or folder: no spaces, at least a slash or a known suffix.
PATH_LIKE = re.compile(r"^[\w.<>-]+(?:/[\w.<>-]+)*/?$")
FILE_SUFFIXES = {".py", ".yml", ".yaml", ".toml", ".json", ".sh", ".md", ".ini", ".mako"}
PLACEHOLDER = re.compile(r"<(\w+)>")
SETTING_LINE = re.compile(r"^(?:#\s*)?(APP_[A-Z0-9_]+)=", re.MULTILINE)
ANSWER = re.compile(r"`(\w+)=([\w.]+)`")
RATIO = re.compile(r"^\d+(?:\.\d+)?x$")
MEASURED = re.compile(r"[Mm]easured\s+(\d{4}-\d{2}-\d{2})\s+on\s+commit\s+`([0-9a-f]{7,40})`")


# --- reading markdown -------------------------------------------------------------------


def without_fences(text: str) -> str:
    return FENCE.sub("", text)


def code_spans(text: str) -> list[str]:
    return CODE_SPAN.findall(without_fences(text))


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def tables(text: str) -> Iterator[tuple[int, list[str], list[list[str]]]]:
    """(line index of the header, header cells, body rows) of every pipe table."""
    lines = text.splitlines()
    index = 0
    while index < len(lines) - 1:
        separator = lines[index + 1].replace(" ", "")
        if lines[index].startswith("|") and re.fullmatch(r"\|(:?-+:?\|)+", separator):
            rows = []
            end = index + 2
            while end < len(lines) and lines[end].startswith("|"):
                rows.append(cells(lines[end]))
                end += 1
            yield index, cells(lines[index]), rows
            index = end
        else:
            index += 1


def sections(text: str, level: int) -> dict[str, str]:
    """Heading text -> the text under it, for headings of exactly ``level`` hashes."""
    marker = "#" * level + " "
    found: dict[str, str] = {}
    title = None
    for line in without_fences(text).splitlines():
        if line.startswith(marker):
            title = line[len(marker) :].strip()
            found[title] = ""
        elif re.match(rf"#{{1,{level}}} ", line):
            title = None
        elif title is not None:
            found[title] += line + "\n"
    return found


def is_path(span: str) -> bool:
    if span.startswith(("/", "~")) or not PATH_LIKE.match(span):
        return False
    name = span.rstrip("/").rsplit("/", 1)[-1]
    return span.endswith("/") or Path(name).suffix in FILE_SUFFIXES


# --- the site ---------------------------------------------------------------------------


class _IgnoreTags(yaml.SafeLoader):
    """Reads mkdocs.yml: its `!relative` and `!ENV` tags are MkDocs' own."""


_IgnoreTags.add_multi_constructor("!", lambda loader, _suffix, node: loader.construct_scalar(node))


@cache
def mkdocs_config() -> dict[str, Any]:
    text = MKDOCS_YML.read_text(encoding="utf-8")
    config: dict[str, Any] = yaml.load(text, _IgnoreTags)  # noqa: S506 (a SafeLoader)
    return config


def nav_files(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for entry in nav:
            yield from nav_files(entry)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from nav_files(value)


class _Loads(HTMLParser):
    """Collects every URL a browser would fetch on its own while showing a page."""

    FETCHING_RELS = frozenset(
        {"stylesheet", "icon", "preload", "prefetch", "preconnect", "dns-prefetch",
         "modulepreload", "manifest", "apple-touch-icon"}
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.classes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.classes.update(values.get("class", "").split())
        if tag == "link" and self.FETCHING_RELS & set(values.get("rel", "").lower().split()):
            self.urls.append(values.get("href", ""))
        elif tag in {"script", "img", "iframe", "source", "audio", "video", "embed", "track"}:
            self.urls.extend(v for k, v in values.items() if k in {"src", "srcset", "poster"})
        elif tag == "object":
            self.urls.append(values.get("data", ""))


def remote(url: str) -> bool:
    return bool(re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", url, re.IGNORECASE)) and not (
        url.strip().lower().startswith("data:")
    )


def network_loads(site: Path) -> list[str]:
    """Every remote fetch a page of the built site would make, and why."""
    found = []
    for page in sorted(site.rglob("*.html")):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        name = page.relative_to(site).as_posix()
        found += [f"{name}: loads {url}" for url in parser.urls if remote(url)]
        # Material fetches these from the network when they are on a page.
        if "mermaid" in parser.classes:
            found.append(f"{name}: a mermaid diagram (the theme loads mermaid from a CDN)")
        if "md-source" in parser.classes:
            found.append(f"{name}: a repository widget (the theme asks the GitHub API)")
    for sheet in sorted(site.rglob("*.css")):
        text = sheet.read_text(encoding="utf-8")
        for url in re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", text):
            if remote(url):
                found.append(f"{sheet.relative_to(site).as_posix()}: loads {url}")
    return found


def build_site(destination: Path) -> subprocess.CompletedProcess[str]:
    return run(
        [tool("mkdocs"), "build", "--strict", "--config-file", MKDOCS_YML, "--site-dir",
         destination],
        ROOT,
        env=clean_env(NO_MKDOCS_2_WARNING="1"),
        timeout=180,
    )  # fmt: skip


def test_the_site_builds_strictly_and_loads_nothing_from_the_network(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(site)
    pages = {page.relative_to(site).as_posix() for page in site.glob("*.html")}
    assert {f"{Path(name).stem}.html" for name in nav_files(mkdocs_config()["nav"])} <= pages
    assert network_loads(site) == []
    # The included files are in the site, not copies of them in docs/.
    assert "Reporting a vulnerability" in (site / "security.html").read_text(encoding="utf-8")
    assert "Keep a Changelog" in (site / "changelog.html").read_text(encoding="utf-8")


def test_the_network_check_finds_what_a_browser_would_fetch(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<link rel="next" href="https://example.com/next.html">'
        '<script src="//cdn.example.com/x.js"></script><img src="assets/logo.png">'
        '<a href="https://example.com/">a link is not a fetch</a><pre class="mermaid"></pre>',
        encoding="utf-8",
    )
    (tmp_path / "style.css").write_text(
        '@import "https://cdn.example.com/a.css"; b { background: url(data:image/png;base64,x) }',
        encoding="utf-8",
    )
    assert network_loads(tmp_path) == [
        "page.html: loads https://fonts.googleapis.com/css?family=Roboto",
        "page.html: loads //cdn.example.com/x.js",
        "page.html: a mermaid diagram (the theme loads mermaid from a CDN)",
        "style.css: loads https://cdn.example.com/a.css",
    ]


def test_the_theme_uses_no_web_fonts_and_no_repository_widget() -> None:
    config = mkdocs_config()
    assert config["theme"]["font"] is False
    assert "repo_url" not in config
    extensions = {
        name: options or {}
        for entry in config["markdown_extensions"]
        for name, options in (entry.items() if isinstance(entry, dict) else [(entry, None)])
    }
    assert extensions["pymdownx.snippets"]["url_download"] is False
    assert extensions["pymdownx.snippets"]["check_paths"] is True


def test_every_page_is_in_the_nav_once() -> None:
    listed = list(nav_files(mkdocs_config()["nav"]))
    pages = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))
    assert sorted(listed) == pages
    assert len(set(listed)) == len(listed)


# --- the options page -------------------------------------------------------------------


def documented_questions() -> dict[str, dict[str, Any]]:
    """Every entry of copier.yml that is not a setting of Copier's own (`_...`)."""
    return {k: v for k, v in copier_config().items() if not k.startswith("_")}


def asked(question: dict[str, Any]) -> bool:
    """False for `when: false` entries: switches given with -d, and constants."""
    return question.get("when", True) is not False


def choice_values(question: dict[str, Any]) -> list[str]:
    if question.get("type") == "bool":
        return ["true", "false"]
    choices = question.get("choices") or {}
    return [str(v["value"] if isinstance(v, dict) else v) for v in choices.values()]


def option_sections() -> dict[str, str]:
    text = (DOCS / "options.md").read_text(encoding="utf-8")
    found = {}
    for title, body in sections(text, 3).items():
        match = re.fullmatch(r"`(\w+)`", title)
        assert match, f"options.md: heading {title!r} is not a question name in backticks"
        found[match.group(1)] = body
    return found


def choice_rows(body: str) -> dict[str, list[str]]:
    """First code span of the first cell -> the row, for the section's choice table."""
    rows = {}
    for _, header, body_rows in tables(body):
        if header[0] == "choice":
            for row in body_rows:
                spans = CODE_SPAN.findall(row[0])
                if spans:
                    rows[spans[0]] = row
    return rows


def test_options_page_documents_every_question_and_choice_in_order() -> None:
    documented = option_sections()
    entries = documented_questions()
    assert sorted(documented) == sorted(entries), "options.md: one section per question"
    in_order = [name for name in documented if asked(entries[name])]
    assert in_order == [name for name, question in entries.items() if asked(question)]
    missing = {
        name: sorted(set(choice_values(question)) - set(choice_rows(documented[name])))
        for name, question in entries.items()
    }
    assert {name: values for name, values in missing.items() if values} == {}
    stale = {
        name: sorted(set(choice_rows(documented[name])) - set(choice_values(question)))
        for name, question in entries.items()
    }
    assert {name: values for name, values in stale.items() if values} == {}


def test_options_page_marks_each_default() -> None:
    for name, default in choice_defaults().items():
        value = str(default).lower() if isinstance(default, bool) else str(default)
        row = choice_rows(option_sections()[name])[value]
        assert "(default)" in row[0], f"options.md: `{name}` row `{value}` should say (default)"


# --- renders of the variants the pages speak about ----------------------------------------


def variant_for(answers: dict[str, Any]) -> Variant:
    """The variant with exactly these answers: one of VARIANTS (rendered once per session
    for every test) when there is one, else a variant of these tests' own."""
    for variant in VARIANTS:
        if dict(variant.answers) == answers:
            return variant
    key = "-".join(f"{name}={value}" for name, value in sorted(answers.items()))
    return Variant(f"docs-{key}", answers)


def parse_answer(name: str, value: str) -> tuple[str, Any]:
    question = documented_questions()[name]
    if question.get("type") == "bool":
        return name, value == "true"
    return name, value


@cache
def one_variant_per_choice() -> tuple[dict[str, Any], ...]:
    """The default answers, and each other choice of every question on top of them."""
    answers: list[dict[str, Any]] = [{}]
    for name, question in documented_questions().items():
        for value in choice_values(question):
            name_value = parse_answer(name, value)
            if name_value[1] != choice_defaults().get(name) and name != "python_version":
                answers.append(dict([name_value]))
    return tuple(answers)


def package_dir(root: Path) -> Path:
    (package,) = (root / "src").iterdir()
    return package


def exists_in(root: Path, cited: str) -> bool:
    """A path cited relative to the package, or else to the service's root."""
    relative = cited.rstrip("/")
    return any((base / relative).exists() for base in (package_dir(root), root))


def test_options_rows_name_the_files_and_settings_of_their_choice(rendered: Render) -> None:
    problems = []
    for name, body in option_sections().items():
        for value, row in choice_rows(body).items():
            paths = [path for path in CODE_SPAN.findall(row[1]) if is_path(path)]
            settings = set(re.findall(r"APP_[A-Z0-9_]+", row[2]))
            if not paths and not settings:
                continue
            root = rendered(variant_for(dict([parse_answer(name, value)])))
            problems += [
                f"{name}={value}: {path} is not rendered"
                for path in paths
                if not exists_in(root, path)
            ]
            listed = set(SETTING_LINE.findall((root / ".env.example").read_text("utf-8")))
            problems += [f"{name}={value}: no {s} in .env.example" for s in settings - listed]
            others = [
                set(SETTING_LINE.findall((rendered(variant_for(dict([pair]))) / ".env.example")
                                         .read_text("utf-8")))
                for other in choice_values(documented_questions()[name])
                if other != value and (pair := parse_answer(name, other))
            ]  # fmt: skip
            problems += [
                f"{name}={value}: {s} is in every variant, so this choice does not add it"
                for s in settings
                if others and all(s in other for other in others)
            ]
    assert problems == []


# --- the practices page -----------------------------------------------------------------


def practice_tables() -> dict[str, list[tuple[list[str], list[list[str]]]]]:
    text = (DOCS / "practices.md").read_text(encoding="utf-8")
    return {
        title: [(header, rows) for _, header, rows in tables(body)]
        for title, body in sections(text, 2).items()
        if re.match(r"\d\. ", title)
    }


def alternatives(cell: str) -> list[dict[str, Any]]:
    """`every` -> one answer set per choice; else the answers each `or` alternative names."""
    if cell == "every":
        return list(one_variant_per_choice())
    return [
        dict(parse_answer(name, value) for name, value in ANSWER.findall(part))
        for part in cell.split(" or ")
    ]


def test_practices_page_has_code_and_tests_for_each_of_the_eight() -> None:
    found = practice_tables()
    assert len(found) == 8, sorted(found)
    for title, page_tables in found.items():
        headers = [header[0] for header, rows in page_tables if rows]
        assert headers == ["code", "test"], f"practices.md, {title}: a code and a test table"


def row_problems(render: Render, header: list[str], row: list[str]) -> Iterator[str]:
    """What is wrong with one row of a practice's code or test table."""
    (path,) = CODE_SPAN.findall(row[0])
    is_test = header[0] == "test"
    if is_test and row[1] == "template":
        if not (ROOT / path).is_file():
            yield f"template test {path} does not exist"
        return
    cell = row[2] if is_test else row[1]
    options = alternatives(cell)
    if not options or (cell != "every" and not all(options)):
        yield f"{path}: cannot read the variant {cell!r}"
        return
    for answers in options:
        root = render(variant_for(answers))
        if not ((root / path).is_file() if is_test else exists_in(root, path)):
            yield f"{path} is missing with {answers or 'the defaults'}"
    # One answer named: the file is that choice's, so every other choice lacks it.
    if len(options) == 1 and len(options[0]) == 1:
        ((name, value),) = options[0].items()
        for other in choice_values(documented_questions()[name]):
            other_answer = parse_answer(name, other)
            if other_answer[1] != value and exists_in(
                render(variant_for(dict([other_answer]))), path
            ):
                yield f"{path} exists with {name}={other} too: the variant says {name}={value}"


def test_practices_cite_files_that_exist_in_the_variant_they_name(rendered: Render) -> None:
    problems = [
        f"{title}: {problem}"
        for title, page_tables in practice_tables().items()
        for header, rows in page_tables
        for row in rows
        for problem in row_problems(rendered, header, row)
    ]
    assert problems == []


# --- every path any page cites ----------------------------------------------------------


def expansions(cited: str) -> list[str]:
    """The cited path with `<question>` placeholders replaced by each of its choices."""
    names = [name for name in PLACEHOLDER.findall(cited) if name in documented_questions()]
    choices = [choice_values(documented_questions()[name]) for name in names]
    results = []
    for values in itertools.product(*choices):
        path = cited
        for name, value in zip(names, values, strict=True):
            path = path.replace(f"<{name}>", value)
        results.append(path)
    return results


def known_paths(roots: list[Path]) -> set[str]:
    """Every file and folder below each root, as posix paths relative to that root."""
    found: set[str] = set()
    for root in roots:
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            if TOOL_DIRS.intersection(relative.parts) or "node_modules" in relative.parts:
                continue
            found.add(relative.as_posix())
    return found


def cited_somewhere(cited: str, known: set[str]) -> bool:
    """True when some known path is the cited one or ends with it (`sinks/text.py`);
    a placeholder that is not a question with choices (`<package_name>`) matches any name."""
    target = cited.rstrip("/")
    if target in known:
        return True
    pattern = "".join(
        "[^/]+" if PLACEHOLDER.fullmatch(part) else re.escape(part)
        for part in re.split(r"(<\w+>)", target)
    )
    matcher = re.compile(rf"(?:.*/)?{pattern}")
    return any(matcher.fullmatch(path) for path in known)


def test_every_path_the_pages_cite_exists(rendered: Render) -> None:
    roots = [ROOT / name for name in ("docs", "hooks", "tests", "benchmarks", "template")]
    known = known_paths(roots) | {path.name for path in ROOT.iterdir()}
    known |= {f"{root.name}/{path}" for root in roots for path in known_paths([root])}
    for answers in one_variant_per_choice():
        known |= known_paths([rendered(variant_for(answers))])
    missing = sorted(
        f"{page.name}: {path}"
        for page in sorted(DOCS.glob("*.md"))
        for span in code_spans(page.read_text(encoding="utf-8"))
        if is_path(span)
        for path in expansions(span)
        if not cited_somewhere(path, known)
    )
    assert missing == []


# --- the benchmark page -----------------------------------------------------------------


def git_output(*args: str) -> str | None:
    result = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False, timeout=30
    )
    return result.stdout.strip() if result.returncode == 0 else None


def test_benchmark_numbers_say_when_and_on_which_commit() -> None:
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    lines = text.splitlines()
    full_history = git_output("rev-parse", "--is-shallow-repository") == "false"
    measured = []
    previous_end = 0
    for start, _header, rows in tables(text):
        if any(RATIO.match(cell) for row in rows for cell in row):
            before = "\n".join(lines[previous_end:start])
            since_heading = before.rsplit("\n#", 1)[-1]
            found = MEASURED.findall(since_heading)
            assert len(found) == 1, (
                f"performance.md line {start + 1}: say 'measured YYYY-MM-DD on commit "
                "`abc1234`' in the text just before the table"
            )
            measured.append(found[0])
        previous_end = start + len(rows) + 2
    assert measured, "performance.md has no table of benchmark numbers"
    for day, commit in measured:
        when = date.fromisoformat(day)
        assert when <= datetime.now(UTC).date()
        if full_history:
            assert git_output("merge-base", "--is-ancestor", commit, "HEAD") is not None, (
                f"performance.md: commit {commit} is not in this branch's history"
            )
            committed = git_output("show", "-s", "--format=%cs", commit)
            assert committed is not None
            assert when >= date.fromisoformat(committed), f"{commit} is younger than {day}"


# --- the service's security policy ------------------------------------------------------

JINJA = re.compile(r"\{\{|\{%|\{#|%\}|\}\}")


@pytest.mark.variant
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_the_service_has_a_rendered_security_policy(rendered: Render, variant: Variant) -> None:
    policy = (rendered(variant) / "SECURITY.md").read_text(encoding="utf-8")
    assert not JINJA.search(policy)
    assert "## Reporting a vulnerability" in policy
    assert "uvx copier update --trust --defaults" in policy
    assert "`_src_path` in `.copier-answers.yml`" in policy


def test_the_security_policy_names_the_author_email_as_the_contact(rendered: Render) -> None:
    without = (rendered(variant_for({})) / "SECURITY.md").read_text(encoding="utf-8")
    assert "Contact: not set yet" in without
    address = "security@payments.example"
    given = rendered(variant_for({"author_email": address})) / "SECURITY.md"
    text = given.read_text(encoding="utf-8")
    assert f"<{address}>" in text
    assert "not set yet" not in text


def test_the_template_security_policy_is_complete_and_links_nowhere_relative() -> None:
    policy = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for heading in ("Reporting a vulnerability", "Scope", "Supported versions"):
        assert f"## {heading}" in policy
    assert "Report a vulnerability" in policy
    assert "uvx copier update --trust --defaults" in policy
    # Read on GitHub and inside the site: relative links would break in one of the two.
    relative = [
        target
        for target in re.findall(r"\]\(([^)\s]+)\)", policy)
        if not re.match(r"[a-z]+:", target)
    ]
    assert relative == []
