"""What apply says once its writes are done: "complete" only for what a re-read showed (§13)."""
from __future__ import annotations

from typing import Any

import click

from tatango_iac.api.client import ApiError
from tatango_iac.apply.applier import ApplyResult
from tatango_iac.apply.readback import DEFAULT_WAIT, read_back
from tatango_iac.cli import output
from tatango_iac.cli.main import Failure
from tatango_iac.model import DesiredAccount

no_verify = click.option(
    "--no-verify", is_flag=True,
    help="Skip the read-back after the last write (saves its calls; the plan states how many); apply then says "
         "that it did not check that the account holds what was written.")
verify_wait = click.option(
    "--verify-wait", type=click.FloatRange(min=0), default=DEFAULT_WAIT, show_default=True,
    help="Seconds the read-back (and the re-read that settles a write whose answer disagrees) waits, reading again, "
         "for writes not visible yet (reads that lag writes).")


def confirm_apply(client: Any, desired: DesiredAccount, result: ApplyResult, total: int, verify: bool,
                  wait: float) -> None:
    """Print "Apply complete" only when the re-read matched; otherwise fail naming each difference."""
    done = f"{len(result.applied)} of {total} action(s) applied"
    if not verify:
        output.out(f"\nApply complete: {done} (not verified: --no-verify, the account was not re-read).")
        return
    try:
        check = read_back(client, desired, result.applied, max_wait=wait, on_event=output.event)
    except ApiError as exc:
        raise Failure(f"\nApply not confirmed: {done}, but the read-back failed: {exc}\n"
                      "Run `tatango-iac plan` to see whether the account holds the configuration.") from None
    if check.ok:
        output.out(f"\nApply complete: {done}; a re-read ({check.calls} call(s)) shows the account now matches "
                   "the configuration.")
        return
    raise Failure("\n".join([f"\nApply not confirmed: {done}, but a re-read ({check.calls} call(s)) shows the "
                             "account does not hold all of it:", *[f"  ! {line}" for line in check.lines()],
                             "Run `tatango-iac plan` to see exactly what differs."]))
