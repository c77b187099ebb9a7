"""A person answers Copier's prompts in a terminal 80 columns wide (driven through a
pseudo-terminal); the assertions read the screen that person sees, emulated by pyte."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pexpect
import pyte
import yaml

from tests.support import clean_env, tool
from tests.variants import questions

ROWS, COLUMNS = 40, 80
ENTER = "\r"
CLEAR = "\x15"  # Ctrl-U: text prompts start filled with the default; erase it first
UP = "\x1b[A"
DOWN = "\x1b[B"
QMARK = "🎤 "  # Copier's mark before a question's first help line (two columns and a space)

# (question shown, keys typed, message the screen must then show; None: the answer is taken).
# Order is the order of copier.yml; rejected answers are followed by a good one.
CONVERSATION: list[tuple[str, str, str | None]] = [
    ("project_name", CLEAR + 'Quote " Service' + ENTER, "Remove quotes, \\ and braces."),
    ("project_name", CLEAR + "2nd Payments API" + ENTER, None),
    ("project_slug", CLEAR + "Bad_Slug" + ENTER, "Use only a-z, 0-9 and dashes."),
    ("project_slug", CLEAR + "payments-api-2nd" + ENTER, None),
    ("package_name", CLEAR + "class" + ENTER, "Python keywords cannot be used."),
    ("package_name", CLEAR + "payments" + ENTER, None),
    ("description", CLEAR + "Takes payments." + ENTER, None),
    ("author_name", CLEAR + "Platform Team" + ENTER, None),
    ("author_email", CLEAR + "not-an-address" + ENTER, "Use the form name@example.com."),
    ("author_email", CLEAR + "platform@example.com" + ENTER, None),
    ("python_version", UP + ENTER, None),  # default 3.12 -> 3.11
    ("auth", ENTER, None),  # jwt, the default
    ("jwt_algorithm", DOWN + ENTER, None),  # HS256 -> RS256
    ("rate_limit_backend", ENTER, None),
    ("log_sink", ENTER, None),
    ("database", ENTER, None),
    ("tls", ENTER, None),
    ("metrics", "n", None),  # a confirm prompt answers on the key press
    ("ci", DOWN + ENTER, None),  # github -> gitlab
    ("dependency_bot", ENTER, None),
    ("docker", ENTER, None),
]
# What the input line first shows: the suggestion derived from the answers before.
SUGGESTED = {"project_slug": "payments-api-2nd", "package_name": "payments_api_2nd"}


class Terminal:
    """A child process in a pseudo-terminal, its output drawn on an emulated screen."""

    def __init__(self, command: str, args: list[str], cwd: Path) -> None:
        env = clean_env(
            PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", COLUMNS=str(COLUMNS), LINES=str(ROWS)
        )
        env.pop("NO_COLOR", None)
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.Stream(self.screen)
        self.child = pexpect.spawn(
            command, args, env=env, cwd=str(cwd), encoding="utf-8", dimensions=(ROWS, COLUMNS)
        )
        self.child.logfile_read = self  # every byte read is drawn on the screen

    def write(self, text: str) -> None:
        self._stream.feed(text)

    def flush(self) -> None:
        """Part of the file interface pexpect logs to; nothing is buffered."""

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def dump(self) -> str:
        return "\n".join(f"{number:2}|{line}" for number, line in enumerate(self.lines()))

    def wait_for(self, block: list[str], timeout: float = 60) -> None:
        """Wait until ``block`` shows as whole, consecutive screen lines."""
        deadline = time.monotonic() + timeout
        while not shows(self.lines(), block):
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never showed {block}:\n{self.dump()}")
            try:
                self.child.read_nonblocking(size=65536, timeout=0.1)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF as error:
                raise AssertionError(f"ended without showing {block}:\n{self.dump()}") from error


def shows(lines: list[str], block: list[str]) -> bool:
    """Whether ``block`` appears in ``lines`` as whole, consecutive lines."""
    return any(lines[row : row + len(block)] == block for row in range(len(lines) - len(block) + 1))


def question_block(name: str) -> list[str]:
    """The lines a question shows: its help, then what to do (select lists: each choice on a
    line of its own, the cursor on the default; confirmations: the default in capitals)."""
    question = questions()[name]
    first, *rest = str(question["help"]).splitlines()
    block = [QMARK + first, *rest]
    if question["type"] == "bool":
        block.append("   (Y/n)" if question["default"] else "   (y/N)")
    elif choices := question.get("choices"):
        block.append("   (Use arrow keys)")
        block += [
            (" » " if value == question["default"] else "   ") + str(label)
            for label, value in choices.items()
        ]
    return block


def test_prompts_read_and_answered_in_an_80_column_terminal(
    template_src: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "payments"
    terminal = Terminal(
        tool("copier"),
        ["copy", "--trust", "--vcs-ref=HEAD", str(template_src), str(destination)],
        tmp_path,
    )
    try:
        asked: set[str] = set()
        for name, keys, message in CONVERSATION:
            block = question_block(name)
            if name in SUGGESTED and name not in asked:
                block.append("   " + SUGGESTED[name])  # the input line, before any key
            asked.add(name)
            terminal.wait_for(block)
            terminal.child.send(keys)
            if message is not None:
                # The whole message, on one line of its own (prompt_toolkit cuts what is longer).
                terminal.wait_for([f"Validation error for question '{name}': {message}"])
        terminal.child.expect(pexpect.EOF, timeout=120)
    finally:
        terminal.child.close(force=True)
    assert terminal.child.exitstatus == 0, terminal.dump()
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert {k: v for k, v in answers.items() if not k.startswith("_")} == {
        "project_name": "2nd Payments API",
        "project_slug": "payments-api-2nd",
        "package_name": "payments",
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
    assert (destination / "src" / "payments").is_dir()
    assert (destination / ".env").is_file()
    assert os.stat(destination / ".env").st_mode & 0o077 == 0
