"""``tatango-iac plan``."""

from __future__ import annotations

import os
import shlex
import sys
from typing import Optional

import click

from tatango_iac.cli import forms_record, json_result, options, output
from tatango_iac.cli.common import check_writable, client_for, load_desired, render_plan, scope_for
from tatango_iac.cli.main import EXIT_CHANGES, EXIT_OK, Failure, cli
from tatango_iac.drift.run import budgeted_drift
from tatango_iac.engine.render import drift_failing, drift_of_list
from tatango_iac.workflow import make_plan, save_plan


@cli.command(**options.help_with_env("Show what would change in the live account."))
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="Save the plan as JSON, for `apply --plan FILE` or `apply --expect FILE`.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for machines, markdown for a pull-request comment (also on error).",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 no changes, 1 error, 2 changes or drift.")
@click.option("--drift", is_flag=True, help="Group the differences as a drift report (any format).")
@click.option(
    "--budget",
    "budget",
    type=click.IntRange(min=1),
    default=None,
    metavar="CALLS",
    help="With --drift: spend at most CALLS calls; the list index is read in full, the rest goes to the "
    "webhooks and custom fields of the lists checked least recently.",
)
@click.option(
    "--drift-state",
    "drift_state",
    type=click.Path(dir_okay=False),
    default=None,
    metavar="FILE",
    help="With --drift: when each list's webhooks and custom fields were last checked (read, then "
    "rewritten; list ids and times only). Without it the order is a deterministic nightly rotation.",
)
@click.option(
    "--disabled-webhooks",
    "disabled_webhooks",
    type=click.Choice(["fail", "report"]),
    default="fail",
    show_default=True,
    help="With --drift --detailed-exitcode: whether a managed webhook disabled in the "
    "account exits 2 (fail) or is only reported.",
)
@forms_record.option
@options.target
@options.exclude
@options.changed_since
@options.no_history_check
@options.api
def plan(
    paths: tuple[str, ...],
    out: Optional[str],
    fmt: str,
    detailed_exitcode: bool,
    drift: bool,
    budget: Optional[int],
    drift_state: Optional[str],
    disabled_webhooks: str,
    forms_record_path: Optional[str],
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    changed_since: Optional[str],
    no_history_check: bool,
    sandbox: bool,
    sandbox_profile: Optional[str],
    rate: Optional[float],
    max_wait: Optional[float],
) -> None:
    output.state["markdown_errors"] = fmt == "markdown"
    if fmt == "json":  # a failure still ends with one JSON document on stdout
        json_result.start(json_result.PlanErrors(), quiet_stdout=False)
    if (budget is not None or drift_state) and not drift:
        raise click.UsageError("--budget and --drift-state go with --drift (the nightly check)")
    if out:
        check_writable(out)
    if drift_state and os.path.isdir(drift_state):  # its directory may not exist yet: a first night creates it
        raise Failure(f"Error: --drift-state {drift_state} is a directory; give a file name. Nothing was read.")
    record = forms_record.load(forms_record_path)
    desired = load_desired(paths)
    scope = scope_for(desired, targets, changed_since, excludes, history_check=not no_history_check)
    with client_for(sandbox, sandbox_profile, rate, max_wait, desired.account.name) as client:
        if budget is not None or drift_state:
            result = budgeted_drift(client, desired, scope, budget, drift_state, output.progress_for(client), record)
        else:
            result = make_plan(client, desired, scope, output.progress_for(client), record)
    if forms_record_path is not None:  # a saved plan says which record it was made with (apply --plan checks)
        result.forms_record = {"path": forms_record_path, **result.forms_record}
    if out:  # saved before anything is printed: a failure to save is then the only document on stdout
        save_plan(result, out)
        output.err(
            f"Saved the plan and its drift report to {out}."
            if drift
            else f"Saved the plan to {out}. Apply it with: {apply_command(out, sandbox, sandbox_profile)}"
        )
    output.out(render_plan(result, fmt, drift), styled=fmt == "text" and not drift and output.stdout_colour())
    output.state["json_result"] = None  # the plan is the document
    changed = result.has_changes or (drift and drift_failing(result.drift(), disabled_webhooks == "fail"))
    sys.exit(EXIT_CHANGES if detailed_exitcode and changed else EXIT_OK)


def apply_command(out: str, sandbox: bool, sandbox_profile: Optional[str]) -> str:
    """The command that applies a saved plan against the same account the plan read."""
    words = ["tatango-iac", "apply"]
    if sandbox:
        words.append("--sandbox")
        if sandbox_profile:
            words += ["--sandbox-profile", sandbox_profile]
    words += ["--plan", out]
    return shlex.join(words)


@cli.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="How to show the saved plan.",
)
@click.option("--drift", is_flag=True, help="Group the differences as a drift report.")
@click.option(
    "--list",
    "list_name",
    metavar="NAME",
    default=None,
    help="With --drift: only what concerns this managed list (the drift workflow's issue per list).",
)
@click.option("--full", is_flag=True, help="Markdown: never truncate (for a job summary, which allows 1 MiB).")
def show(plan_file: str, fmt: str, drift: bool, list_name: Optional[str], full: bool) -> None:
    """Show a plan saved by `plan --out`, without reading the account again."""
    from tatango_iac.engine.plan import plan_from_json
    from tatango_iac.engine.render import render_markdown
    from tatango_iac.workflow import load_saved_plan

    data = load_saved_plan(plan_file)
    saved = plan_from_json(data)
    if fmt == "markdown" and full and not drift:
        output.out(render_markdown(saved, budget=10**9))
    else:
        saved_drift = data.get("drift") if isinstance(data.get("drift"), dict) else None
        if list_name is not None:
            if not drift or saved_drift is None:
                raise Failure("Error: --list goes with --drift, on a plan saved with its drift report")
            saved_drift = drift_of_list(saved_drift, list_name)
        output.out(
            render_plan(saved, fmt, drift, saved_drift, whole=list_name is None),
            styled=fmt == "text" and not drift and output.stdout_colour(),
        )
