"""A person answers Copier's prompts in a terminal (driven through a pseudo-terminal)."""

from __future__ import annotations

import os
from pathlib import Path

import pexpect
import yaml

from tests.support import clean_env, tool

ENTER = "\r"
CLEAR = "\x15"  # Ctrl-U: text prompts start filled with the default; erase it first
UP = "\x1b[A"
DOWN = "\x1b[B"

# (text of the prompt to wait for, keys to type). Order is the order of copier.yml.
CONVERSATION: list[tuple[str, str]] = [
    ("Human-readable name of the service", CLEAR + "Payments API" + ENTER),
    ("Short machine name", ENTER),  # keep the default derived from the name
    ("Name of the Python package", ENTER),
    ("One sentence that says what the service does", CLEAR + "Takes payments." + ENTER),
    ("Your name or your team", CLEAR + "Platform Team" + ENTER),
    ("Contact e-mail address", CLEAR + "platform@example.com" + ENTER),
    ("Lowest Python version", UP + ENTER),  # default 3.12 -> 3.11
    ("How clients prove who they are", ENTER),  # jwt, the default
    ("Signature algorithm for the tokens", DOWN + ENTER),  # HS256 -> RS256
    ("Where request counters for rate limiting are kept", ENTER),
    ("Where logs go", ENTER),
    ("Database for users, tokens and your data", ENTER),
    ("Where HTTPS is terminated", ENTER),
    ("Expose Prometheus metrics", "n"),  # a confirm prompt answers on the key press
    ("Continuous integration config to generate", DOWN + ENTER),  # github -> gitlab
    ("Bot that opens pull requests", ENTER),
    ("Generate a Dockerfile", ENTER),
]


def test_prompts_answered_in_a_terminal(template_src: Path, tmp_path: Path) -> None:
    destination = tmp_path / "payments"
    env = clean_env(PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS="120", LINES="40")
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        tool("copier"),
        ["copy", "--trust", "--vcs-ref=HEAD", str(template_src), str(destination)],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
    )
    transcript: list[str] = []
    try:
        for prompt, keys in CONVERSATION:
            child.expect_exact(prompt)
            transcript.append(prompt)
            child.send(keys)
        child.expect(pexpect.EOF, timeout=120)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        raise AssertionError(
            f"after {transcript[-1:]} the terminal showed:\n{child.before}"
        ) from error
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert {k: v for k, v in answers.items() if not k.startswith("_")} == {
        "project_name": "Payments API",
        "project_slug": "payments-api",
        "package_name": "payments_api",
        "description": "Takes payments.",
        "author_name": "Platform Team",
        "author_email": "platform@example.com",
        "python_version": "3.11",
        "auth": "jwt",
        "jwt_algorithm": "RS256",
        "rate_limit_backend": "memory",
        "log_sink": "stdout",
        "database": "sqlite",
        "tls": "proxy",
        "metrics": False,
        "ci": "gitlab",
        "dependency_bot": "dependabot",
        "docker": True,
    }
    assert (destination / "src" / "payments_api").is_dir()
    assert (destination / ".env").is_file()
    assert os.stat(destination / ".env").st_mode & 0o077 == 0
