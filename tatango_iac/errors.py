"""The one root of the tool's errors, and the exit codes (§9).

Every error the tool raises on purpose derives from ``TatangoIacError``: it carries the
text the user sees (``user_message``) and the exit code, so the entry point needs one
``except`` for all of them and a new error cannot be forgotten there (anything else is
an internal error). This module imports nothing of the tool: every layer may use it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # any error, usage errors too (not click's 2: a cron job must not mistake a typo for drift)
    CHANGES = 2  # plan --detailed-exitcode only: changes present
    PARTIAL = 3  # apply stopped cleanly at its --max-calls/--max-time budget: run it again


class TatangoIacError(Exception):
    """An error the tool expects: ``user_message`` is what the user reads, ``exit_code`` how the run ends."""

    exit_code: ExitCode = ExitCode.ERROR

    def user_message(self) -> str:
        return str(self)


class PlanError(TatangoIacError):
    """The plan cannot be made safely (raised before anything is written)."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))

    def user_message(self) -> str:
        return "cannot plan (nothing was changed):\n  " + "\n  ".join(self.messages)
