"""A copied service is ready for `copier update` at once: a git repository with one commit
(hooks/git_init.py), and a scheduled update check that says when the template is out of
reach (a local `_src_path`)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support import GIT_IDENTITY, ROOT, clean_env, git, project_files, run, snapshot_template
from tests.updates import append, commit_all, copier_copy, copier_update, release
from tests.variants import BASE_DATA, Variant, by_id

HOOK = ROOT / "hooks" / "git_init.py"
GITHUB_WORKFLOW = ".github/workflows/template-update.yml"
SOURCE_CHECK_STEP = "Check that the template source is a URL"

Render = Callable[[Variant], Path]


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """The working tree as release v1.0.0 of a template repository."""
    source = snapshot_template(tmp_path / "template")
    git(source, "tag", "v1.0.0")
    return source


def without_git_identity(home: Path) -> dict[str, str]:
    """A user's environment with no git identity anywhere: empty HOME, no system config."""
    home.mkdir()
    env = {
        key: value
        for key, value in clean_env().items()
        if key not in GIT_IDENTITY and key not in {"EMAIL", "GIT_CONFIG_GLOBAL"}
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    return env


def rendered_files(service: Path) -> set[str]:
    """Every file the copy produced, except the git-ignored .env."""
    files = {path.relative_to(service).as_posix() for path in project_files(service)}
    return files - {".env"}


def test_copy_commits_everything_but_dotenv_and_update_works_at_once(
    template: Path, tmp_path: Path
) -> None:
    service = tmp_path / "service"
    output = copier_copy(template, service, BASE_DATA, ref="v1.0.0")

    assert "Created a git repository with one commit" in output
    assert git(service, "rev-list", "--count", "HEAD").strip() == "1"
    assert "v1.0.0" in git(service, "log", "-1", "--format=%s")
    assert git(service, "status", "--porcelain") == ""  # clean, nothing untracked
    assert set(git(service, "ls-files").splitlines()) == rendered_files(service)
    assert (service / ".env").is_file()
    assert git(service, "ls-files", ".env") == ""
    assert git(service, "check-ignore", ".env").strip() == ".env"

    append(template / "README.md", "\nA later release.\n")
    release(template, "v1.0.1", "A later release")
    output = copier_update(service)
    assert "git-tracked" not in output
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.1"


def test_copy_without_a_git_identity_stages_and_prints_the_commit_command(
    template: Path, tmp_path: Path
) -> None:
    service = tmp_path / "service"
    env = without_git_identity(tmp_path / "home")
    output = copier_copy(template, service, BASE_DATA, ref="v1.0.0", env=env)

    assert (service / ".git").is_dir()
    no_commit = run(["git", "rev-parse", "--verify", "HEAD"], service, env=env, check=False)
    assert no_commit.returncode != 0  # no identity was made up
    staged = run(["git", "diff", "--cached", "--name-only"], service, env=env).stdout
    assert set(staged.splitlines()) == rendered_files(service)
    # The one command to run once an identity is set, printed whole.
    lines = [line for line in output.splitlines() if "git commit -m" in line]
    assert len(lines) == 1, output
    assert "user.name and user.email" in lines[0]
    command = lines[0][lines[0].index("git commit -m") :]
    run(shlex.split(command), service, env={**env, **GIT_IDENTITY})
    assert git(service, "rev-list", "--count", "HEAD").strip() == "1"
    assert "v1.0.0" in git(service, "log", "-1", "--format=%s")
    assert git(service, "status", "--porcelain") == ""


def test_copy_inside_a_work_tree_leaves_git_alone(template: Path, tmp_path: Path) -> None:
    monorepo = tmp_path / "monorepo"
    monorepo.mkdir()
    git(monorepo, "init", "--quiet")
    (monorepo / "README.md").write_text("Our services.\n")
    commit_all(monorepo, "Start")

    output = copier_copy(template, monorepo / "service", BASE_DATA, ref="v1.0.0")

    assert "Already inside the git work tree" in output
    assert not (monorepo / "service" / ".git").exists()
    assert git(monorepo, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(monorepo, "diff", "--cached", "--name-only") == ""  # nothing staged either


def test_git_init_false_opts_out_and_is_not_recorded(template: Path, tmp_path: Path) -> None:
    service = tmp_path / "service"
    copier_copy(template, service, {**BASE_DATA, "git_init": "false"}, ref="v1.0.0")
    assert not (service / ".git").exists()
    assert (service / ".env").is_file()  # the other task still ran
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert "git_init" not in answers


def test_hook_is_idempotent(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")

    def hook() -> str:
        return subprocess.run(
            [sys.executable, str(HOOK), "--template-version=v2.0.0"],
            cwd=tmp_path,
            env=clean_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stderr

    assert "one commit" in hook()
    assert "Already inside the git work tree" in hook()
    assert git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"
    assert git(tmp_path, "log", "-1", "--format=%s").strip() == (
        "Generate the service from the template (v2.0.0)"
    )


def test_a_service_copied_from_a_path_moves_to_the_template_url(
    template: Path, tmp_path: Path
) -> None:
    """The edit docs/updating.md describes: `_src_path` becomes the URL of the published
    template (same history, so `_commit` still names the version), then updates follow it."""
    service = tmp_path / "service"
    copier_copy(template, service, BASE_DATA, ref="v1.0.0")
    published = tmp_path / "published" / "template.git"
    run(["git", "clone", "--quiet", "--bare", template, published], tmp_path)
    url = published.as_uri()  # a git URL, like https://.../template.git

    answers_file = service / ".copier-answers.yml"
    text = answers_file.read_text()
    local = f"_src_path: {template}\n"
    assert local in text
    answers_file.write_text(text.replace(local, f"_src_path: {url}\n"))
    commit_all(service, "Record the template's URL")

    append(template / "README.md", "\nA later release.\n")
    release(template, "v1.0.1", "A later release")
    git(template, "push", "--quiet", "--tags", str(published), "HEAD:main")
    template.rename(tmp_path / "moved")  # the local path is gone: only the URL can serve
    copier_update(service)
    answers = yaml.safe_load(answers_file.read_text())
    assert answers["_commit"] == "v1.0.1"
    assert answers["_src_path"] == url


LOCAL_SOURCES = ["/home/dev/templates/secure", "../template", "~/template", "file:///srv/t.git"]
URL_SOURCES = [
    "https://github.com/acme/secure-template.git",
    "'https://git.example.com/acme/secure-template.git'",
    "git@github.com:acme/secure-template.git",
    "ssh://git@git.example.com/acme/secure-template.git",
    "git+https://git.example.com/acme/secure-template",
    "gh:acme/secure-template",
    "gl:acme/secure-template",
]


def source_check_scripts(rendered: Render) -> dict[str, str]:
    """The shell that checks `_src_path` in the GitHub workflow and in the GitLab job."""
    github = yaml.safe_load((rendered(by_id("default")) / GITHUB_WORKFLOW).read_text())
    steps = github["jobs"]["check-update"]["steps"]
    gitlab = yaml.safe_load((rendered(by_id("gitlab-renovate")) / ".gitlab-ci.yml").read_text())
    return {
        "github": next(step["run"] for step in steps if step.get("name") == SOURCE_CHECK_STEP),
        "gitlab": gitlab["template-update"]["script"][0],
    }


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_update_check_refuses_a_local_template_source_in_one_line(
    rendered: Render, tmp_path: Path, ci: str
) -> None:
    script = source_check_scripts(rendered)[ci]
    for source in LOCAL_SOURCES + URL_SOURCES:
        (tmp_path / ".copier-answers.yml").write_text(f"_commit: v1.0.0\n_src_path: {source}\n")
        result = run(["bash", "-eo", "pipefail", "-c", script], tmp_path, check=False)
        if source in URL_SOURCES:
            assert (result.returncode, result.stdout) == (0, ""), (source, result.stdout)
            continue
        assert result.returncode == 1, source
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1, result.stdout
        assert "_src_path in .copier-answers.yml is not a git URL" in lines[0]
        assert "Record the template URL" in lines[0]
        assert source.strip("'") not in lines[0]  # says what to fix, not the machine's path
