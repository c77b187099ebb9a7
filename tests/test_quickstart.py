"""The README's two quick-start commands, run as written from a fresh clone.

The render-and-serve command runs with this machine's `python3` and with Debian's own
`/usr/bin/python3` (externally managed, PEP 668), with no uv on PATH and an empty home
directory: it must render the default service, serve it, and answer `/health/live`. The test
command is not run here (it is this suite); `.ci/run` must end by calling it, and it must
bootstrap uv and reach pytest in the fresh clone (`--collect-only` of one file).
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, clean_env, free_port, git, run, snapshot_template, uv_bin
from tests.test_copier_commands import load_bootstrap, spelling_problems

DEBIAN_PYTHON = Path("/usr/bin/python3")
SERVE_TIMEOUT = 600  # seconds from the command to a 200 from /health/live (uv may install)
LISTENING = re.compile(r"Uvicorn running on (https?://\S+)")


def quick_start_commands() -> tuple[list[str], list[str]]:
    """The README's Quick start commands: (render and serve, run all tests)."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 2, "the Quick start has two commands, each in its own sh block"
    serve, test = (shlex.split(block) for block in blocks)
    assert serve[0] == test[0] == "python3", "both commands run with the user's python3"
    return serve, test


def machine_python() -> str:
    """The interpreter `python3` starts on this machine, outside the tests' own venv."""
    venv_bins = {str(Path(sys.executable).parent)}
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p not in venv_bins)
    python3 = shutil.which("python3", path=path)
    assert python3 is not None
    probe = [python3, "-c", "import sys; print(sys.executable)"]
    return run(probe, ROOT, env={**os.environ, "PATH": path}).stdout.strip()


def externally_managed(python: Path) -> bool:
    """True for a Python that refuses `pip install` outside a venv (PEP 668)."""
    probe = (
        "import os, sysconfig; "
        "print(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))"
    )
    if not python.exists():
        return False
    marker = run([python, "-c", probe], ROOT).stdout.strip()
    return Path(marker).exists()


def fresh_machine_env(home: Path, **extra: str) -> dict[str, str]:
    """No uv on PATH, an empty home; uv's package cache is shared (it is only a cache)."""
    path = [
        folder
        for folder in os.environ["PATH"].split(os.pathsep)
        if folder
        and not (Path(folder) / "uv").exists()
        and not (Path(folder) / "uvx").exists()
        and folder != str(Path(sys.executable).parent)
    ]
    env = {k: v for k, v in clean_env().items() if not k.startswith(("XDG_", "UV", "PYENV"))}
    cache = run([uv_bin(), "cache", "dir"], ROOT).stdout.strip()
    env.update(HOME=str(home), PATH=os.pathsep.join(path), UV_CACHE_DIR=cache, UV_NO_PROGRESS="1")
    env.update(extra)
    return env


def fresh_clone(tmp_path: Path) -> Path:
    snapshot = snapshot_template(tmp_path / "snapshot")
    clone = tmp_path / "work" / "clone"
    clone.parent.mkdir()
    run(["git", "clone", "--quiet", snapshot, clone], tmp_path)
    return clone


def serve_until_healthy(command: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """Run the command until the address it prints answers /health/live with 200, then stop
    its whole process group. Returns its output lines."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    reader = threading.Thread(target=read)
    reader.start()
    output: list[str] = []
    deadline = time.monotonic() + SERVE_TIMEOUT
    try:
        address = None
        while address is None:
            if time.monotonic() > deadline or process.poll() is not None:
                while not lines.empty():
                    output.append(lines.get())
                pytest.fail(f"no server within {SERVE_TIMEOUT}s; output:\n{''.join(output)}")
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            output.append(line)
            found = LISTENING.search(line)
            address = found[1] if found else None
        assert answers_live(f"{address}/health/live", deadline), "".join(output)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        reader.join(timeout=30)
    while not lines.empty():
        output.append(lines.get())
    return output


def answers_live(url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  (http on loopback)
                return answer.status == 200 and answer.read() == b'{"status":"ok"}'
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture(
    params=[
        pytest.param("python3", id="python3"),
        pytest.param(str(DEBIAN_PYTHON), id="debian-python3"),
    ]
)
def interpreter(request: pytest.FixtureRequest) -> str:
    if request.param == "python3":
        return machine_python()
    if not externally_managed(Path(request.param)):
        pytest.skip(f"{request.param} is not an externally managed (PEP 668) Python here")
    return request.param


def test_python_question_reader_matches_copier_yml() -> None:
    """quickstart.py reads copier.yml without a YAML library: it must read what YAML reads."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import quickstart  # noqa: PLC0415

        default, choices = quickstart.python_question()
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    question = yaml.safe_load((ROOT / "copier.yml").read_text("utf-8"))["python_version"]
    assert default == question["default"]
    assert choices == list(question["choices"].values())


def test_quickstart_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    serve, _ = quick_start_commands()
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine\n")
    result = run([sys.executable, *serve[1:], occupied], ROOT, check=False)
    assert result.returncode == 1
    assert "already exists and is not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]


def test_ci_run_ends_with_the_readme_test_command() -> None:
    _, test = quick_start_commands()
    script = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    commands = [line for line in script if line.strip() and not line.lstrip().startswith("#")]
    last = shlex.split(commands[-1])
    assert (last[1:] if last[0] == "exec" else last) == test


@pytest.mark.slow
def test_readme_commands_work_from_a_fresh_clone(interpreter: str, tmp_path: Path) -> None:
    serve, test = quick_start_commands()
    clone = fresh_clone(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = fresh_machine_env(home, APP_PORT=str(free_port()))
    assert shutil.which("uv", path=env["PATH"]) is None

    output = serve_until_healthy([interpreter, *serve[1:]], clone, env)

    printed = [line[2:].strip() for line in output if line.startswith("$ ")]
    copies = [line for line in printed if line.startswith("uvx copier copy")]
    assert len(copies) == 1, "".join(output)
    assert spelling_problems(copies[0]) == []
    assert "uv run secure-service serve" in printed
    service = clone.parent / "my-service"
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text("utf-8"))
    fallback = re.search(r"the service uses Python (\S+),", "".join(output))
    default = yaml.safe_load((ROOT / "copier.yml").read_text("utf-8"))["python_version"]["default"]
    assert answers["python_version"] == (fallback[1] if fallback else default), "".join(output)
    # Nothing was installed outside the clone; the clone stays clean (.tools/ is ignored).
    assert not [p for p in home.rglob("*") if p.name in {"uv", "uvx"} and p.is_file()]
    assert git(clone, "status", "--porcelain") == ""
    if interpreter == str(DEBIAN_PYTHON):  # no uv module there: the private install
        assert (clone / ".tools" / "uv" / "bin" / "uv").exists()

    collect = [interpreter, *test[1:], "--collect-only", "-q", "-n", "0", "tests/test_dotenv.py"]
    result = run(collect, clone, env=env, timeout=SERVE_TIMEOUT)
    assert re.search(r"\d+ tests? collected", result.stdout), result.stdout


@pytest.mark.slow
def test_private_uv_without_ensurepip(tmp_path: Path) -> None:
    """The route for a Python without ensurepip (Debian without python3-venv): a venv made
    --without-pip, a pip wheel checked against PyPI's sha256, uv installed from it."""
    python = str(DEBIAN_PYTHON) if DEBIAN_PYTHON.exists() else machine_python()
    venv = tmp_path / "tools" / "uv"
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import _uv; from pathlib import Path; "
        "print(_uv.install_private(Path(sys.argv[2]), ensurepip=False))"
    )
    result = run(
        [python, "-c", code, ROOT / "scripts", venv],
        tmp_path,
        env=fresh_machine_env(home),
        timeout=SERVE_TIMEOUT,
    )
    assert "without pip" in result.stdout
    uv = result.stdout.strip().splitlines()[-1]
    assert Path(uv) == venv / "bin" / "uv"
    assert run([uv, "--version"], tmp_path).stdout.startswith("uv ")
    # pip ran from its wheel and was never installed into the environment.
    assert not list(venv.glob("lib/python*/site-packages/pip"))
    assert load_bootstrap().uvx(uv) == [str(venv / "bin" / "uvx")]
