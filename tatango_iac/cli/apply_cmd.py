"""``tatango-iac apply``: from the configuration, a saved plan (--plan) or a reviewed plan (--expect)."""

from __future__ import annotations

import os
from typing import Any, Optional

import click

from tatango_iac.apply.applier import Applier, ApplyResult
from tatango_iac.cli import forms_record, json_result, options, output, readback_out
from tatango_iac.cli.common import client_for, load_desired, render_plan, scope_for
from tatango_iac.cli.limits import refuse_over_limit, saved_exceeded
from tatango_iac.cli.main import Failure, Partial, cli
from tatango_iac.cli.readback_out import confirm_apply, orphan_lines
from tatango_iac.engine.budget import ApplyBudget
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.engine.recheck import readback_calls
from tatango_iac.engine.records import FormsRecord
from tatango_iac.engine.render import headline
from tatango_iac.engine.render.lines import subscribers_text
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount
from tatango_iac.review import Verdict, compare, needs_digests
from tatango_iac.workflow import load_saved_plan, make_plan, replan_saved, saved_scope


def _destructive_lines(actions: list[dict[str, Any]] | list[Action]) -> list[str]:
    lines = []
    for action in actions:
        data = action.to_json(0) if isinstance(action, Action) else action
        if data.get("destructive"):
            extra = f", {subscribers_text(data.get('subscribers'))}" if data.get("resource") == "list" else ""
            lines.append(f"  - {data['address']} ({data['action']}{extra})")
    return lines


def refuse_destructive(actions: list[Any], allow_destroy: bool, saved: bool = False) -> None:
    lines = _destructive_lines(actions)
    if not lines or allow_destroy:
        return
    what = "the saved plan has" if saved else "the plan has"
    raise Failure(
        "\n".join(
            [
                f"Refusing to apply: {what} destructive actions and --allow-destroy was not given:",
                *lines,
                "Nothing was changed.",
            ]
        )
    )


def refuse_blocked(plan: Plan) -> None:
    if plan.blocked:
        raise Failure(
            "\n".join(
                [
                    "Refusing to apply: changes are blocked until you decide (nothing was changed):",
                    *[f"  ! {b['message']}" for b in plan.blocked],
                ]
            )
        )


def _confirm(auto_approve: bool) -> None:
    if auto_approve:
        return
    answer = click.prompt(
        "Do you want to perform these actions? Only 'yes' will be accepted", default="", show_default=False, err=True
    )
    if answer.strip() != "yes":
        raise Failure("Apply cancelled. Nothing was changed.")


def _report(result: ApplyResult, total: int, desired: DesiredAccount) -> None:
    if result.ok:
        return  # "complete" is said by the read-back (readback_out), only for what it saw
    if result.budget_stop and result.failed is None and not result.interrupted:
        _report_partial(result, total)
    why = f"interrupted ({result.interrupted})" if result.interrupted and result.failed is None else "failed"
    lines = [f"\nApply {why}: {len(result.applied)} of {total} action(s) applied."]
    if result.failed is not None:
        label = {
            "failed": "Failed (not applied)",
            "uncertain": "Uncertain (may have been applied)",
            "half done": "Half done",
            "applied differently": "Failed (applied, but not as sent)",
        }[result.outcome]
        lines.append(f"{label}: {headline(result.failed)}\n  error: {result.error}")
    if result.applied:
        lines += ["Applied:"] + [f"  {headline(a)}" for a in result.applied]
    pending = [a for a in result.not_applied if a is not result.failed]
    if result.failed is not None and result.outcome == "failed":
        pending = [result.failed] + pending
    if pending:
        lines += ["Not applied:"] + [f"  {headline(a)}" for a in pending]
    lines += orphan_lines(result, desired)
    lines.append("Run `tatango-iac plan` to see exactly what remains.")
    raise Failure("\n".join(lines))


def _report_partial(result: ApplyResult, total: int) -> None:
    """Stopped cleanly at the budget: exit 3 means "partial, run again" (the next run plans exactly the rest)."""
    lines = [
        f"\nApply stopped at its budget: {len(result.applied)} of {total} action(s) applied; "
        f"{len(result.not_applied)} left.",
        f"  ({result.budget_stop})",
    ]
    if result.applied:
        lines += ["Applied:"] + [f"  {headline(a)}" for a in result.applied]
    lines += ["Not applied (nothing of these was started):"] + [f"  {headline(a)}" for a in result.not_applied]
    if not result.applied:
        raise Failure(
            "\n".join(
                lines[:2]
                + [
                    "The budget does not leave room for a single action after the "
                    "reads: raise --max-calls / --max-time, or narrow with --target. "
                    "Nothing was changed."
                ]
            )
        )
    lines.append(
        "Run the same command again to apply the rest: it reads the account again and plans exactly "
        "what is left (exit code 3: partial, run again)."
    )
    raise Partial("\n".join(lines))


def _run(
    client: Any,
    result: Plan,
    desired: DesiredAccount,
    verify: bool,
    wait: float,
    budget: Optional[ApplyBudget] = None,
    report: Optional[json_result.ApplyReport] = None,
    record_path: Optional[str] = None,
    record: Optional[FormsRecord] = None,
) -> None:
    total = len(result.actions)

    def done(index: int, action: Action) -> None:
        output.out(f"[{index}/{total}] done: {headline(action)}")

    def start(index: int, action: Action) -> None:
        if output.stderr_tty():
            output.err(f"[{index}/{total}] applying {action.address}...")

    outcome = Applier(client, on_done=done, on_start=start, on_event=output.event, budget=budget, settle_wait=wait).run(
        result
    )
    report = report or json_result.ApplyReport()
    report.result = outcome
    _report(outcome, total, desired)
    confirm_apply(
        client, desired, outcome, total, verify, wait, on_check=report.checked, record_path=record_path, record=record
    )


def _reviewed_is_done(fresh: Plan, reviewed: dict[str, Any], report: json_result.ApplyReport) -> bool:
    """apply --expect: refuse a plan that does not mean what was reviewed; True if nothing is left to do."""
    check = compare(fresh, reviewed)
    report.already_in_account = list(check.done)
    if check.verdict is Verdict.ALREADY_APPLIED:
        report.ended = json_result.Status.ALREADY_APPLIED
        output.out(
            f"Already applied: the {len(check.done)} action(s) of the reviewed plan are in the account "
            "(read just now). Nothing was changed."
        )
        return True
    if check.verdict is Verdict.REST:
        output.out(
            f"The account already has {len(check.done)} of the reviewed plan's action(s) (an earlier apply "
            f"stopped part-way); applying exactly the remaining {len(fresh.actions)}."
        )
        for address in check.done:
            output.out(f"  already in the account: {address}")
    return False


@cli.command(**options.help_with_env("Change the live account to match the configuration."))
@click.argument("paths", nargs=-1)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False),
    help="Apply exactly a plan saved by `plan --out` (refused if anything it read has changed).",
)
@click.option(
    "--expect",
    "expect_file",
    type=click.Path(dir_okay=False),
    help="Make a fresh plan of PATH... and apply it only if its actions are those of this reviewed plan "
    "(saved by `plan --out`, e.g. in a pull request); reads the account once.",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (needed without a terminal).")
@click.option("--allow-destroy", is_flag=True, help="Allow list deletes and custom-field deletes/replaces.")
@click.option(
    "--allow-bulk",
    is_flag=True,
    help="Apply a plan over the safety limits of account.safety (share of lists updated, lists deleted, "
    "webhooks changed, subscribers affected).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: stdout holds one JSON document, the result of each action and the summary (also on "
    "failure or refusal); the text goes to stderr.",
)
@readback_out.no_verify
@readback_out.verify_wait
@forms_record.option
@options.target
@options.exclude
@options.changed_since
@options.no_history_check
@options.apply_budget
@options.api
def apply(
    paths: tuple[str, ...],
    plan_file: Optional[str],
    expect_file: Optional[str],
    auto_approve: bool,
    allow_destroy: bool,
    allow_bulk: bool,
    fmt: str,
    no_verify: bool,
    verify_wait: float,
    forms_record_path: Optional[str],
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    changed_since: Optional[str],
    no_history_check: bool,
    max_calls: Optional[int],
    max_time: Optional[float],
    sandbox: bool,
    sandbox_profile: Optional[str],
    rate: Optional[float],
    max_wait: Optional[float],
) -> None:
    report = json_result.ApplyReport(verify=not no_verify)
    if fmt == "json":
        json_result.start(report, quiet_stdout=True)
    if plan_file and (paths or targets or excludes or changed_since or expect_file):
        raise click.UsageError("give either PATH... or --plan FILE, not both (a saved plan carries its own paths)")
    if expect_file and (targets or changed_since):
        raise click.UsageError(
            "--expect applies the reviewed plan's own scope (its --target or --changed-since lists); "
            "leave out --target and --changed-since"
        )
    if no_history_check and (plan_file or expect_file):
        raise click.UsageError(
            "a saved or reviewed plan carries its own history check: give --no-history-check to the plan that "
            "made it, not to apply --plan/--expect"
        )
    if not plan_file and not paths:
        raise click.UsageError("give the configuration PATH... or --plan FILE")
    reviewed = load_saved_plan(expect_file) if expect_file else None
    if reviewed is not None and needs_digests(reviewed):
        raise Failure(f"Refusing to apply: {needs_digests(reviewed)}. Nothing was read or changed.")
    saved = load_saved_plan(plan_file) if plan_file else None
    # Cheap checks first: everything that can fail without the API fails before the first call.
    if not (auto_approve or saved or reviewed or output.stdin_tty()):
        raise Failure(
            "apply needs confirmation: there is no terminal to ask, so pass --auto-approve. "
            "Nothing was read or changed."
        )
    for known in (saved, reviewed):
        if known is not None:
            report.plan(known["actions"])
            refuse_destructive(known["actions"], allow_destroy, saved=True)
            refuse_over_limit(saved_exceeded(known), allow_bulk, saved=True)
    if saved is not None and plan_file:
        forms_record.check_saved(saved, forms_record_path, plan_file)
    record = forms_record.load(forms_record_path)
    desired = load_desired(paths) if not saved else None
    scope: Optional[Scope]
    if reviewed is not None:
        scope = saved_scope(reviewed)
    else:
        scope = (
            scope_for(desired, targets, changed_since, excludes, history_check=not no_history_check)
            if desired is not None
            else None
        )
    # The credentials are the account's: named in the configuration, or in the saved plan.
    account = desired.account.name if desired is not None else (saved or {}).get("account", {}).get("name")
    with client_for(sandbox, sandbox_profile, rate, max_wait, account) as client:
        # The budget starts before the reads: they are calls of this run too.
        budget = ApplyBudget(
            max_calls,
            max_time,
            calls=lambda: client.calls,
            now=client.clock.monotonic,
            interval=lambda: client.pacer.interval,
            start_calls=client.calls,
            start_time=client.clock.monotonic(),
        )
        progress = output.progress_for(client)
        if saved is not None:
            desired, result = replan_saved(client, saved, os.environ, progress, record)
        else:
            assert desired is not None  # loaded above whenever there is no saved plan
            result = make_plan(client, desired, scope, progress, record)
            if reviewed is not None and _reviewed_is_done(result, reviewed, report):
                return
        report.plan(result.actions)
        refuse_blocked(result)
        if not result.has_changes:
            output.out(result.summary_line())
            return
        output.out(render_plan(result, "text"), styled=output.stdout_colour())
        refuse_destructive(result.actions, allow_destroy)
        refuse_over_limit(result.over_limit, allow_bulk)
        _confirm(auto_approve or saved is not None or reviewed is not None)  # a saved or reviewed plan was the review
        assert desired is not None
        # The read-back after the last write is part of the run: the budget keeps its calls for the end.
        budget.reserve = 0 if no_verify else readback_calls(result)
        _run(client, result, desired, not no_verify, verify_wait, budget, report, forms_record_path, record)
