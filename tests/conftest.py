"""Shared fixtures: a sandbox on 127.0.0.1 per test, a fake clock, and a CLI runner.

The CLI runs in-process (click's CliRunner isolation) but talks to the sandbox over
real HTTP on loopback: nothing of ours is mocked between the CLI and the socket.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import requests
from click.testing import CliRunner

from tatango_iac.api.client import TatangoClient
from tatango_iac.cli import main
from tatango_iac.sandbox import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer
from tatango_iac.sandbox.server import Faults

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_ENV = {"ACME_WEBHOOK_TOKEN": "tok-3f9a8c71e2d4b5a6"}


class FakeClock:
    """Monotonic time that only moves when someone sleeps: no test waits for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock):
    """A fresh sandbox sharing the fake clock, so its rate limiter sees our fake sleeps."""
    with SandboxServer(clock=clock) as server:
        yield server


@pytest.fixture
def client(sandbox: SandboxServer, clock: FakeClock) -> TatangoClient:
    return TatangoClient(sandbox.url, SANDBOX_EMAIL, SANDBOX_API_KEY, rate_per_hour=0, clock=clock)


def api_examples() -> dict[str, Any]:
    return json.loads((FIXTURES / "api_examples.json").read_text())


def set_faults(server: SandboxServer, **kwargs: Any) -> None:
    server.set_faults(Faults.from_dict(kwargs))


def seed(server: SandboxServer, state: dict[str, Any]) -> None:
    requests.put(server.control_url + "/state", json=state, timeout=5).raise_for_status()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(args: list[str], env: Optional[dict[str, Optional[str]]] = None, input: Optional[str] = None) -> CliResult:
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _mixed):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return CliResult(code, stdout, stderr)


@pytest.fixture
def api_env(sandbox: SandboxServer) -> dict[str, Optional[str]]:
    """Environment that points the CLI at the test's sandbox, unpaced."""
    return {
        "TATANGO_API_URL": sandbox.url,
        "TATANGO_EMAIL": SANDBOX_EMAIL,
        "TATANGO_API_KEY": SANDBOX_API_KEY,
        "TATANGO_RATE_LIMIT": "0",
        **EXAMPLE_ENV,
    }


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    """A writable copy of examples/ (tests edit it to simulate config changes)."""
    target = tmp_path / "config"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns("invalid", "ci"))
    return target


@pytest.fixture(autouse=True)
def _fresh_redactor() -> None:
    """Each CLI run is its own process in real use: one test's secrets must not mask another's text."""
    from tatango_iac.secrets import REDACTOR

    REDACTOR.clear()


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TATANGO_API_URL", "TATANGO_EMAIL", "TATANGO_API_KEY", "TATANGO_RATE_LIMIT", "TATANGO_SANDBOX_STATE"):
        monkeypatch.delenv(name, raising=False)
    os.environ.pop("TATANGO_DEBUG", None)


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    """Each CLI run is a fresh process that masks only its own secrets; in-process runs share the module's
    redactor, so a secret one test registers (HELP_EMAIL=help@...) must not mask another test's output."""
    from tatango_iac.secrets import REDACTOR

    words, others = set(REDACTOR._words), set(REDACTOR._others)
    yield
    with REDACTOR._lock:
        REDACTOR._words, REDACTOR._others = words, others


# ------------------------------------------------------------- no side effects

_CACHES = (".venv/", "__pycache__", ".pytest_cache/", ".hypothesis/", ".egg-info/", ".ci-venv/")


def _working_tree() -> Optional[set[str]]:
    """Untracked, ignored and modified paths of the checkout (None outside git)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--ignored"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {line for line in done.stdout.splitlines() if not any(cache in line for cache in _CACHES)}


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_TREE] = _working_tree()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The suite never writes into the working tree (issue 11): a file left behind fails the run."""
    before, after = session.config.stash.get(_TREE, None), _working_tree()
    if before is None or after is None or not after - before:
        return
    print(f"\nthe tests left these in the working tree: {sorted(after - before)}")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


_TREE = pytest.StashKey[Optional[set]]()
