"""``tatango-iac ci pending-merges``: the merged pull requests an apply run applies, oldest first.

Called by the shipped action (action/apply-merges.sh) in the apply workflow; the decision is
``gitops.pending`` (pure), the reading of git and GitHub ``gitops.github``. Output: one line per
merge, ``SHA<TAB>PR<TAB>RECORD`` (PR ``-`` for a commit pushed without a pull request), so the
script reads fields, never evaluates text.
"""

from __future__ import annotations

from typing import Optional

import click

from tatango_iac.cli import output
from tatango_iac.cli.main import cli
from tatango_iac.gitops import github
from tatango_iac.gitops.pending import LOOKBACK, Queue, Start, decide


@cli.group()
def ci() -> None:
    """Helpers of the shipped GitHub workflows."""


def _describe(queue: Queue) -> str:
    numbers = ", ".join(f"#{m.pull_request}" if m.pull_request else m.sha[:12] for m in queue.merges) or "none"
    where = queue.start.value
    if queue.start is Start.AFTER_LAST_APPLIED and queue.last_applied is not None:
        applied = queue.last_applied
        label = f"#{applied.pull_request}" if applied.pull_request else "a push"
        where += f" ({applied.sha[:12]}, {label})"
    return f"Merges to apply, oldest first ({where}): {numbers}"


@ci.command("pending-merges")
@click.argument("paths", nargs=-1, required=True)
@click.option("--repository", required=True, help="OWNER/NAME (the workflow's github.repository).")
@click.option(
    "--context",
    default="tatango-apply",
    show_default=True,
    help="The commit status that records an applied merge (tatango-apply/ACCOUNT with several accounts).",
)
@click.option(
    "--pull-request",
    "start_pr",
    type=click.IntRange(1, 10**10 - 1),
    default=None,
    help="Start at this merged pull request (a run started by hand): earlier merges are left as they are.",
)
@click.option(
    "--lookback", type=click.IntRange(1, 1000), default=LOOKBACK, show_default=True, help="Merges to walk back."
)
def pending_merges(
    paths: tuple[str, ...], repository: str, context: str, start_pr: Optional[int], lookback: int
) -> None:
    """Print the merges not yet applied, oldest first: SHA, pull request, record (tab-separated)."""
    queue = decide(github.history(repository, paths, context, lookback), start_pr, lookback)
    for note in queue.notes:
        output.err(f"Note: {note}")
    output.err(_describe(queue))
    for merge in queue.merges:
        output.out(f"{merge.sha}\t{merge.pull_request or '-'}\t{merge.record.value}")
