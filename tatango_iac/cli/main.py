"""The command group and the entry point: every error is a message and exit 1, never a traceback.

Exit codes (§9): 0 success, 1 any error (usage errors too), 2 changes present
(plan --detailed-exitcode), 3 apply stopped at its --max-calls / --max-time budget (partial: run again).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, NoReturn, Optional

import click

from tatango_iac import __version__
from tatango_iac.cli import json_result, output
from tatango_iac.engine.render import render_markdown_error
from tatango_iac.errors import ExitCode, TatangoIacError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_PARTIAL = ExitCode.OK, ExitCode.ERROR, ExitCode.CHANGES, ExitCode.PARTIAL


class Failure(TatangoIacError):
    """An error already explained to the user: print it as it is, exit 1."""


class Partial(TatangoIacError):
    """An apply that stopped cleanly at its budget: what it did and what is left, exit 3 ("run again")."""

    exit_code = ExitCode.PARTIAL


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tatango-iac", help="Show the version and exit.")
def cli() -> None:
    """Configuration-as-code for Tatango SMS lists: validate, plan, apply, show, export, pull, doctor,
    schema and sandbox."""


def fail(message: str, code: ExitCode = ExitCode.ERROR) -> NoReturn:
    output.err(f"Error: {message}")
    if output.state["markdown_errors"]:
        output.out(render_markdown_error(message))
    json_result.finish(code, message)
    sys.exit(code)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt()


def main(argv: Optional[list[str]] = None) -> Any:
    """Entry point (console script and ``python -m tatango_iac``)."""
    from tatango_iac.cli import commands  # noqa: F401 - registers the commands

    output.state.update(markdown_errors=False, json_result=None, stdout_to_stderr=False)
    previous = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
    try:
        cli.main(args=argv, prog_name="tatango-iac", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        json_result.finish(EXIT_ERROR, exc.format_message())
        sys.exit(EXIT_ERROR)  # not click's 2: 2 means "changes present"
    except click.Abort:  # Ctrl-C or SIGTERM outside an apply's writes (click turns it into Abort)
        fail("interrupted before anything was written; nothing was changed")
    except Partial as exc:
        output.out(str(exc))
        json_result.finish(exc.exit_code, str(exc).strip())
        sys.exit(exc.exit_code)
    except Failure as exc:
        output.err(str(exc))
        if output.state["markdown_errors"]:
            output.out(render_markdown_error(str(exc)))
        json_result.finish(EXIT_ERROR, str(exc).strip())
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        fail("interrupted before anything was written; nothing was changed")
    except TatangoIacError as exc:  # every error the tool expects: its own message and exit code
        fail(exc.user_message(), exc.exit_code)
    except Exception as exc:
        if os.environ.get("TATANGO_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (set TATANGO_DEBUG=1 for a traceback)")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    json_result.finish(EXIT_OK, None)
    sys.exit(EXIT_OK)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
