"""The command group and the entry point: every error is a message and exit 1, never a traceback.

Exit codes (§9): 0 success, 1 any error (usage errors too), 2 changes present
(plan --detailed-exitcode).
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any, NoReturn, Optional

import click

from tatango_iac import __version__
from tatango_iac.api.client import ApiError, ConfigurationError
from tatango_iac.cli import output
from tatango_iac.config.changed import ChangedSinceError
from tatango_iac.config.diagnostics import ConfigError
from tatango_iac.engine.planner import PlanError
from tatango_iac.engine.render import render_markdown_error
from tatango_iac.sandbox.storage import StateLocked
from tatango_iac.review import ReviewMismatch
from tatango_iac.workflow import SavedPlanError, StalePlan

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Failure(Exception):
    """An error already explained to the user: print it, exit 1."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tatango-iac", help="Show the version and exit.")
def cli() -> None:
    """Configuration-as-code for Tatango SMS lists: validate, plan, apply, export, doctor."""


def fail(message: str) -> NoReturn:
    output.err(f"Error: {message}")
    if output.state["markdown_errors"]:
        output.out(render_markdown_error(message))
    sys.exit(EXIT_ERROR)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt()


def _message(exc: BaseException) -> Optional[str]:
    """The user-facing text for an error we expect, or None."""
    if isinstance(exc, ConfigError):
        return f"{exc}\n{len(exc.diagnostics)} configuration error(s); nothing was read or changed"
    if isinstance(exc, PlanError):
        return "cannot plan (nothing was changed):\n  " + "\n  ".join(exc.messages)
    if isinstance(exc, StalePlan):
        return ("plan is stale, refusing to apply (nothing was changed):\n  " + "\n  ".join(exc.reasons) +
                "\nRun `tatango-iac plan --out FILE` again and review it.")
    if isinstance(exc, ReviewMismatch):
        return "refusing to apply (nothing was changed): " + "\n".join(exc.lines)
    if isinstance(exc, (SavedPlanError, ConfigurationError, ChangedSinceError, StateLocked)):
        return str(exc)
    if isinstance(exc, ApiError):
        return f"API call failed: {exc}"
    return None


def main(argv: Optional[list[str]] = None) -> Any:
    """Entry point (console script and ``python -m tatango_iac``)."""
    from tatango_iac.cli import commands  # noqa: F401 - registers the commands

    output.state["markdown_errors"] = False
    previous = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
    try:
        cli.main(args=argv, prog_name="tatango-iac", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_ERROR)  # not click's 2: 2 means "changes present"
    except click.Abort:  # Ctrl-C or SIGTERM outside an apply's writes (click turns it into Abort)
        fail("interrupted before anything was written; nothing was changed")
    except Failure as exc:
        output.err(str(exc))
        if output.state["markdown_errors"]:
            output.out(render_markdown_error(str(exc)))
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        fail("interrupted before anything was written; nothing was changed")
    except Exception as exc:
        message = _message(exc)
        if message is not None:
            fail(message)
        if os.environ.get("TATANGO_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set TATANGO_DEBUG=1 for a traceback)")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(EXIT_OK)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
