"""Everything the CLI prints goes through here: secrets redacted, control characters escaped.

Progress: on a terminal, click's progress bar (count, total, time left); without one, a
plain line on stderr at least every 30 s of a long read, so a CI log is never silent.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

import click

from tatango_iac.secrets import redact
from tatango_iac.terminal import colour_wanted, safe

PLAIN_EVERY = 30.0  # seconds between progress lines without a terminal
ANNOUNCE_AFTER = 30.0  # a read expected to take longer than this gets a first line at once
# json_result: the document `--format json` ends with (cli/json_result.py); stdout_to_stderr: while it is
# pending, text for people goes to stderr so that stdout holds that one document only.
state: dict[str, Any] = {"markdown_errors": False, "json_result": None, "stdout_to_stderr": False}


def clean(text: str) -> str:
    return safe(redact(text))


def out(text: str = "", styled: bool = False) -> None:
    """stdout. ``styled`` text was made safe piece by piece before colour codes were added."""
    click.echo(
        redact(text) if styled else clean(text), color=True if styled else None, err=bool(state["stdout_to_stderr"])
    )


def document(text: str) -> None:
    """The one machine-readable document of a ``--format json`` run, on stdout (already redacted)."""
    click.echo(text)


def err(text: str = "", nl: bool = True) -> None:
    click.echo(clean(text), err=True, nl=nl)


def stderr_tty() -> bool:
    return sys.stderr.isatty()


def stdin_tty() -> bool:
    return sys.stdin.isatty()


def stdout_colour() -> bool:
    return colour_wanted(sys.stdout.isatty())


def event(message: str) -> None:
    """One line for a wait, a retry, a recovered fault."""
    err(message)


class TerminalProgress:
    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None

    def start(self, total: int, done: int = 0) -> None:
        self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_eta=True, show_pos=True)
        self.bar.__enter__()
        self.bar.update(done)

    def advance(self, label: str) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


class PlainProgress:
    """Progress for logs: a line when a long read starts, then at least every 30 s of the (injected) clock."""

    def __init__(self, label: str, clock: Any, seconds_per_call: Callable[[], float]):
        self.label, self.clock, self.seconds_per_call = label, clock, seconds_per_call
        self.total = self.done = 0
        self.started = self.last = 0.0
        self.spoke = False

    def _line(self) -> None:
        left = max(self.total - self.done, 0) * self.seconds_per_call()
        err(f"{self.label}: {self.done}/{self.total} calls done, about {_duration(left)} left")
        self.last = self.clock.monotonic()
        self.spoke = True

    def start(self, total: int, done: int = 0) -> None:
        self.total, self.done = total, done
        self.started = self.last = self.clock.monotonic()
        if (total - done) * self.seconds_per_call() > ANNOUNCE_AFTER:
            self._line()

    def advance(self, label: str) -> None:
        self.done += 1
        if self.clock.monotonic() - self.last >= PLAIN_EVERY:
            self._line()

    def finish(self) -> None:
        if self.spoke:
            err(
                f"{self.label}: {self.done}/{self.total} calls done in {_duration(self.clock.monotonic() - self.started)}"
            )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def progress_for(client: Any, label: str = "reading the account") -> Optional[Any]:
    if stderr_tty():
        return TerminalProgress(label)
    return PlainProgress(label, client.clock, lambda: max(client.pacer.interval, 0.0))
