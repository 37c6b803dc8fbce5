"""What apply says once its writes are done: "complete" only for what a re-read showed (§13)."""

from __future__ import annotations

import shlex
from typing import Any, Callable, Optional

import click

from tatango_iac.api.client import ApiError
from tatango_iac.apply.applier import ApplyResult
from tatango_iac.apply.readback import DEFAULT_WAIT, ReadbackResult, read_back
from tatango_iac.cli import output
from tatango_iac.cli.forms_record import after_apply, now_text
from tatango_iac.cli.main import Failure
from tatango_iac.engine.plan import Action
from tatango_iac.engine.records import FormsRecord
from tatango_iac.model import DesiredAccount
from tatango_iac.secrets import display

no_verify = click.option(
    "--no-verify",
    is_flag=True,
    help="Skip the read-back after the last write (saves its calls; the plan states how many); apply then says "
    "that it did not check that the account holds what was written.",
)
verify_wait = click.option(
    "--verify-wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_WAIT,
    show_default=True,
    help="Seconds the read-back (and the re-read that settles a write whose answer disagrees) waits, reading again, "
    "for writes not visible yet (reads that lag writes).",
)


def confirm_apply(
    client: Any,
    desired: DesiredAccount,
    result: ApplyResult,
    total: int,
    verify: bool,
    wait: float,
    on_check: Callable[[Optional[ReadbackResult], Optional[str]], None] = lambda c, e: None,
    record_path: Optional[str] = None,
    record: Optional[FormsRecord] = None,
) -> None:
    """Print "Apply complete" only when the re-read matched; otherwise fail naming each difference.

    ``on_check`` receives the read-back (or the error that stopped it) for `apply --format json`."""
    done = f"{len(result.applied)} of {total} action(s) applied"
    if not verify:
        output.out(f"\nApply complete: {done} (not verified: --no-verify, the account was not re-read).")
        return
    try:
        check = read_back(
            client, desired, result.applied, max_wait=wait, on_event=output.event, record=record, at=now_text()
        )
    except ApiError as exc:
        on_check(None, str(exc))
        raise Failure(
            f"\nApply not confirmed: {done}, but the read-back failed: {exc}\n"
            "Run `tatango-iac plan` to see whether the account holds the configuration."
        ) from None
    on_check(check, None)
    # Written whatever the exit code: an apply that fails with "the API stored X as Y" must remember it.
    recorded = after_apply(record_path, record, check, {a.address for a in result.applied})
    if check.ok:
        unchecked = (
            f", except what the API does not report and so cannot be checked: {', '.join(check.unchecked)}"
            if check.unchecked
            else ""
        )
        output.out(
            f"\nApply complete: {done}; a re-read ({check.calls} call(s)) shows the account now matches "
            f"the configuration{unchecked}."
        )
        return
    raise Failure(
        "\n".join(
            [
                f"\nApply not confirmed: {done}, but a re-read ({check.calls} call(s)) shows the "
                "account does not hold all of it:",
                *[f"  ! {line}" for line in check.lines()],
                *recorded,
                "Run `tatango-iac plan` to see exactly what differs.",
            ]
        )
    )


def _keywords(side: Optional[dict[str, Any]]) -> set[str]:
    return {str(k) for k in (side or {}).get("keyword_names") or []}


def orphaned_keywords(applied: list[Action], pending: list[Action]) -> dict[str, str]:
    """Keywords an applied step released that a step not applied claims: now on no list (keyword -> its list)."""
    released: set[str] = set()
    for action in applied:
        released = (released | (_keywords(action.before) - _keywords(action.after))) - _keywords(action.after)
        if action.resource == "list" and action.action == "create":
            released -= set(action.claims)
    out: dict[str, str] = {}
    for action in pending:
        for kw in (set(action.claims) | (_keywords(action.after) - _keywords(action.before))) & released:
            out.setdefault(kw, action.list_name)
    return out


def orphan_lines(result: ApplyResult, desired: DesiredAccount) -> list[str]:
    """When an apply stops between a keyword's release and its claim: name each keyword and the finishing command."""
    pending = ([result.failed] if result.failed is not None else []) + [
        a for a in result.not_applied if a is not result.failed
    ]
    orphans = orphaned_keywords(result.applied, pending)
    if not orphans:
        return []
    lists = sorted(set(orphans.values()))
    command = (
        ["tatango-iac", "apply"]
        + [part for name in lists for part in ("--target", name)]
        + list(desired.paths or desired.files)
    )
    return [
        "Keywords now on no list (released, not yet claimed; a phone that texts one gets no answer): "
        + ", ".join(f"{display(kw)} (for list {name!r})" for kw, name in sorted(orphans.items())),
        f"Finish the move with: {shlex.join(command)}",
    ]
