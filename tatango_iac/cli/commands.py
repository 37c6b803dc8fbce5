"""The command line: validate, plan, apply, export, sandbox serve.

Exit codes (§9): 0 success, 1 any error (usage errors too), 2 changes present
(plan --detailed-exitcode).
"""
from __future__ import annotations

import os
import sys
from typing import Any, Optional

import click

from tatango_iac import __version__
from tatango_iac.engine.applier import Applier, ApplyResult
from tatango_iac.api.client import ApiError, ConfigurationError
from tatango_iac.config.loader import load, load_or_raise
from tatango_iac.config.diagnostics import ConfigError, errors, render as render_diagnostics
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.engine.planner import PlanError
from tatango_iac.engine.render import RENDERERS, _headline, render_drift_text, render_text_tty
from tatango_iac.workflow import (
    SavedPlanError,
    StalePlan,
    api_client,
    load_saved_plan,
    make_plan,
    replan_saved,
    save_plan,
)

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class Failure(Exception):
    """An error already explained to the user: print it, exit 1."""


def _stderr_tty() -> bool:
    return sys.stderr.isatty()


def _stdin_tty() -> bool:
    return sys.stdin.isatty()


def _progress():
    if not _stderr_tty():
        return None

    def say(message: str) -> None:
        click.echo(f"\r\033[K{message}...", file=sys.stderr, nl=False)

    return say


def _clear_progress() -> None:
    if _stderr_tty():
        click.echo("\r\033[K", file=sys.stderr, nl=False)


def _rate_option(f):
    return click.option("--rate", type=click.FloatRange(min=0), default=None, metavar="CALLS_PER_HOUR",
                        help="Pace API calls (default $TATANGO_RATE_LIMIT or 1200; 0 = unpaced).")(f)


def _sandbox_option(f):
    return click.option("--sandbox", is_flag=True,
                        help="Run against an embedded emulator whose state lives in .tatango-sandbox.json.")(f)


def _target_option(f):
    return click.option("--target", "targets", multiple=True, metavar="LIST_NAME",
                        help="Restrict reads and actions to this list (repeatable).")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tatango-iac")
def cli() -> None:
    """Configuration-as-code for Tatango SMS lists: validate, plan, apply, export."""


# ------------------------------------------------------------------ validate


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--allow-missing-env", is_flag=True,
              help="Report unset ${VARS} as warnings (for pre-commit hooks where secrets are not set).")
def validate(paths: tuple[str, ...], fmt: str, strict: bool, allow_missing_env: bool) -> None:
    """Check configuration files: YAML, schema, semantic rules and lint."""
    _account, diagnostics = load(paths, missing_env="warning" if allow_missing_env else "error")
    output = render_diagnostics(diagnostics, fmt)
    if output:
        click.echo(output)
    failed = bool(errors(diagnostics)) or (strict and bool(diagnostics))
    if fmt == "text":
        n_err = len(errors(diagnostics))
        n_warn = len(diagnostics) - n_err
        click.echo(("" if not output else "\n") +
                   (f"{n_err} error(s), {n_warn} warning(s)." if diagnostics else "Configuration is valid."),
                   err=bool(output))
    sys.exit(EXIT_ERROR if failed else EXIT_OK)


# ---------------------------------------------------------------------- plan


def _load_desired(paths: tuple[str, ...]):
    desired, diagnostics = load_or_raise(paths)
    warnings = [d for d in diagnostics if d.severity == "warning"]
    if warnings:
        click.echo(render_diagnostics(warnings, "text"), err=True)
    return desired


def _render(plan: Plan, fmt: str) -> str:
    if fmt == "text" and sys.stdout.isatty():
        return render_text_tty(plan)
    return RENDERERS[fmt](plan)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `apply --plan`.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 no changes, 1 error, 2 changes.")
@click.option("--drift", is_flag=True, help="Text: group differences as a drift report instead of listing actions.")
@_target_option
@_sandbox_option
@_rate_option
def plan(paths, out, fmt, detailed_exitcode, drift, targets, sandbox, rate) -> None:
    """Show what would change in the live account."""
    desired = _load_desired(paths)
    with api_client(sandbox, rate, os.environ) as client:
        result = make_plan(client, desired, list(targets), _progress())
    _clear_progress()
    click.echo(render_drift_text(result) if drift and fmt == "text" else _render(result, fmt))
    if out:
        save_plan(result, out)
        click.echo(f"Saved the plan to {out}. Apply it with: tatango-iac apply --plan {out}", err=True)
    sys.exit(EXIT_CHANGES if detailed_exitcode and result.has_changes else EXIT_OK)


# --------------------------------------------------------------------- apply


def _refuse_destructive(result: Plan, allow_destroy: bool) -> None:
    destructive = [a for a in result.actions if a.destructive]
    if not destructive or allow_destroy:
        return
    lines = ["Refusing to apply: the plan has destructive actions and --allow-destroy was not given:"]
    for action in destructive:
        extra = f", {action.subscribers:,} subscribers" if action.resource == "list" else ""
        lines.append(f"  - {action.address} ({action.action}{extra})")
    lines.append("Nothing was changed.")
    raise Failure("\n".join(lines))


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not _stdin_tty():
        raise Failure("apply needs confirmation: there is no terminal to ask, so pass --auto-approve. "
                      "Nothing was changed.")
    answer = click.prompt("Do you want to perform these actions? Only 'yes' will be accepted", default="",
                          show_default=False, err=True)
    if answer.strip() != "yes":
        raise Failure("Apply cancelled. Nothing was changed.")


def _report(result: ApplyResult, total: int) -> None:
    if result.ok:
        click.echo(f"\nApply complete: {len(result.applied)} of {total} action(s) applied.")
        return
    why = "interrupted (Ctrl-C)" if result.interrupted else "failed"
    lines = [f"\nApply {why}: {len(result.applied)} of {total} action(s) applied."]
    if result.failed is not None:
        lines.append(f"Failed: {_headline(result.failed)}\n  error: {result.error}")
    if result.applied:
        lines.append("Applied:")
        lines += [f"  {_headline(a)}" for a in result.applied]
    pending = [a for a in result.not_applied if a is not result.failed]
    if result.failed is not None:
        pending = [result.failed] + pending
    if pending:
        lines.append("Not applied:")
        lines += [f"  {_headline(a)}" for a in pending]
    lines.append("Run `tatango-iac plan` to see exactly what remains.")
    raise Failure("\n".join(lines))


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply a plan saved by `plan --out`.")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--allow-destroy", is_flag=True, help="Allow list deletes and custom-field deletes/replaces.")
@_target_option
@_sandbox_option
@_rate_option
def apply(paths, plan_file, auto_approve, allow_destroy, targets, sandbox, rate) -> None:
    """Change the live account to match the configuration."""
    if plan_file and (paths or targets):
        raise click.UsageError("give either PATH... or --plan FILE, not both (a saved plan carries its own paths)")
    if not plan_file and not paths:
        raise click.UsageError("give the configuration PATH... or --plan FILE")
    saved = load_saved_plan(plan_file) if plan_file else None
    desired = None if saved else _load_desired(paths)

    def waiting(seconds: float) -> None:
        if _stderr_tty() and seconds >= 1:
            click.echo(f"\r\033[Kwaiting {seconds:.0f}s for the API rate limit...", file=sys.stderr, nl=False)

    with api_client(sandbox, rate, os.environ, on_wait=waiting) as client:
        if saved is not None:
            _desired, result = replan_saved(client, saved, os.environ, _progress())
            auto_approve = True  # the saved plan was the review
        else:
            result = make_plan(client, desired, list(targets), _progress())
        _clear_progress()
        if not result.has_changes:
            click.echo("No changes. The account matches the configuration.")
            return
        click.echo(_render(result, "text"))
        _refuse_destructive(result, allow_destroy)
        _confirm(auto_approve)
        total = len(result.actions)

        def done(index: int, action: Action) -> None:
            _clear_progress()
            click.echo(f"[{index}/{total}] done: {_headline(action)}")

        def start(index: int, action: Action) -> None:
            if _stderr_tty():
                click.echo(f"\r\033[K[{index}/{total}] applying {action.address}...", file=sys.stderr, nl=False)

        outcome = Applier(client, on_done=done, on_start=start).run(result)
    _report(outcome, total)


# -------------------------------------------------------------------- export


@cli.command()
@click.option("--output", "output", type=click.Path(file_okay=False), default="exported", show_default=True,
              help="Directory to write one YAML file per list into.")
@click.option("--list", "names", multiple=True, metavar="NAME", help="Export only this list (repeatable).")
@click.option("--include-secrets", is_flag=True, help="Write webhook URLs with their secrets instead of ${...}.")
@_sandbox_option
@_rate_option
def export(output, names, include_secrets, sandbox, rate) -> None:
    """Write YAML for the live account (adoption of an existing account)."""
    from tatango_iac.exporter import ExportError, export_account

    try:
        with api_client(sandbox, rate, os.environ) as client:
            report = export_account(client, output, list(names), include_secrets)
    except ExportError as exc:
        raise Failure(str(exc)) from None
    for line in report:
        click.echo(line, err=line.startswith("Warning"))


# ------------------------------------------------------------------- sandbox


@cli.group()
def sandbox() -> None:
    """The Tatango API emulator."""


@sandbox.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--state", "state_file", type=click.Path(dir_okay=False), default=".tatango-sandbox.json",
              show_default=True, help="JSON file holding the account state (created if missing).")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, help="Probability of a random fault per call.")
@click.option("--fault-kinds", default="429,500,502,503,html403,drop_before,drop_after", show_default=True)
@click.option("--rate-limit", type=click.IntRange(min=1), default=None, help="Calls allowed per hour (429 beyond).")
@click.option("--no-retry-after", is_flag=True, help="Answer 429 without a Retry-After header.")
@click.option("--latency-ms", type=click.IntRange(min=0), default=0)
@click.option("--seed", type=int, default=0, help="Seed of the fault generator (runs are repeatable).")
def sandbox_serve(port, state_file, fault_rate, fault_kinds, rate_limit, no_retry_after, latency_ms, seed) -> None:
    """Serve the emulator on 127.0.0.1 until Ctrl-C."""
    from tatango_iac.sandbox import SANDBOX_EMAIL, SandboxServer
    from tatango_iac.sandbox.server import Faults

    try:
        faults = Faults.from_dict({"rate": fault_rate, "kinds": [k.strip() for k in fault_kinds.split(",") if k.strip()],
                                   "rate_limit": rate_limit, "retry_after": not no_retry_after,
                                   "latency_ms": latency_ms, "seed": seed})
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        server = SandboxServer(state_file, port=port, faults=faults)
    except OSError as exc:
        raise Failure(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    click.echo(f"Tatango sandbox on {server.url} (state: {state_file})")
    click.echo(f"  export TATANGO_API_URL={server.url} TATANGO_EMAIL={SANDBOX_EMAIL} TATANGO_API_KEY=<sandbox key>")
    click.echo(f"  the sandbox key is in the state file; control API: {server.control_url}")
    sys.stdout.flush()  # scripts wait for the first line to learn the port
    import signal

    signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nstopped", err=True)
    finally:
        server.httpd.server_close()
        server.state.flush()


# ---------------------------------------------------------------------- main


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def main(argv: Optional[list[str]] = None) -> Any:
    """Entry point: every error is a message and exit 1, never a traceback (TATANGO_DEBUG=1 shows one)."""
    try:
        cli.main(args=argv, prog_name="tatango-iac", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_ERROR)  # not click's 2: 2 means "changes present"
    except click.Abort:
        _fail("aborted")
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        _fail(f"{len(exc.diagnostics)} configuration error(s); nothing was read or changed")
    except PlanError as exc:
        _clear_progress()
        _fail("cannot plan:\n  " + "\n  ".join(exc.messages))
    except StalePlan as exc:
        _fail("plan is stale, refusing to apply (nothing was changed):\n  " + "\n  ".join(exc.reasons) +
              "\nRun `tatango-iac plan --out FILE` again and review it.")
    except (SavedPlanError, ConfigurationError) as exc:
        _fail(str(exc))
    except ApiError as exc:
        _clear_progress()
        _fail(f"API call failed: {exc}")
    except Failure as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        _fail("interrupted")
    except Exception as exc:  # pragma: no cover - the last line of defence against tracebacks
        if os.environ.get("TATANGO_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set TATANGO_DEBUG=1 for a traceback)")
    sys.exit(EXIT_OK)
