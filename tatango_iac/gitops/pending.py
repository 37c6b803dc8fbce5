"""Which merged pull requests an apply run applies, in which order (issue 17 point 2). Pure: no I/O.

GitHub keeps one running and one pending run per concurrency group, and a newer pending run
cancels the older one: with merges A, B, C in quick succession, B's apply run is cancelled by
C's. So an apply run does not apply "the pull request merged as this commit" only: it applies
EVERY merged pull request not yet applied, oldest first, each one's reviewed plan against the
configuration at its own merge commit. The newest merge's run is never cancelled (only a newer
run could replace it), so it catches up whatever the cancelled runs left.

The record of what was applied is a commit status (context ``tatango-apply``, or
``tatango-apply/ACCOUNT``) that the apply job sets on each merge commit it applied: durable (GitHub
keeps it with the commit; a cache is evicted after 7 days or under pressure) and visible on the
commit. The walk goes back over the first-parent history of main (the merges, newest first) until
the newest merge recorded as applied; everything after it is pending.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable, Optional

from tatango_iac.errors import TatangoIacError

# A run looks this many merges back for the last applied one; the walk costs two GitHub API
# calls per merge (its status, its pull request), well under the job token's 1,000 calls an hour.
LOOKBACK = 100


class Record(enum.Enum):
    """The apply job's commit status on a merge commit (GitHub's status states)."""

    APPLIED = "success"  # its reviewed plan is in the account (applied, or found already applied)
    FAILED = "failure"  # its apply was refused or failed (a comment on its pull request says why)
    WAITING = "pending"  # not applied because an earlier merge before it failed (said on its pull request)
    NONE = "none"  # no record: its run was cancelled, or has not run yet

    @classmethod
    def of(cls, state: Optional[str]) -> "Record":
        """A status state as GitHub reports it; "error" is a failure too, anything unknown is no record."""
        if state == "error":
            return cls.FAILED
        return next((record for record in cls if record.value == state), cls.NONE)


@dataclass(frozen=True)
class Merge:
    """One commit of main's first-parent history that changed the configuration."""

    sha: str
    pull_request: Optional[int]  # None: pushed to main without a pull request (there is no reviewed plan)
    record: Record = Record.NONE


class Start(enum.Enum):
    """Why the queue starts where it starts (said in the job log)."""

    AFTER_LAST_APPLIED = "after the last applied merge"
    FROM_PULL_REQUEST = "from the pull request given to the run"
    FIRST_RUN = "no merge is recorded as applied yet"


@dataclass
class Queue:
    merges: list[Merge]  # oldest first: the order to apply them in
    start: Start
    last_applied: Optional[Merge] = None
    looked_at: int = 0  # merges walked
    notes: list[str] = field(default_factory=list)


class PendingError(TatangoIacError):
    """The queue cannot be decided (the message says why and what to do)."""


def _one_per_pull_request(merges: list[Merge]) -> list[Merge]:
    """A rebase-merged pull request leaves several commits on main: its last one (newest) stands for it."""
    kept: list[Merge] = []
    for merge in merges:  # newest first
        if kept and merge.pull_request is not None and kept[-1].pull_request == merge.pull_request:
            continue
        kept.append(merge)
    return kept


def decide(history: Iterable[Merge], start_pr: Optional[int] = None, lookback: int = LOOKBACK) -> Queue:
    """The merges to apply, oldest first, from main's first-parent history (newest first, read lazily).

    Without ``start_pr``: every merge after the newest one recorded as applied (a failed or waiting one
    is tried again: its record is not "applied"). With no record within ``lookback`` merges (the first
    run of the workflow), only the newest merge: the runs before the workflow existed are not replayed.
    With ``start_pr`` (a run started by hand, or the next run of a partial apply): that pull request's
    merge and every later merge not recorded as applied. Merges before it are left as they are: giving
    the number is the explicit consent to go past a merge that cannot be applied.
    """
    walked: list[Merge] = []
    found: Optional[Merge] = None
    for merge in history:
        if len(walked) >= lookback:
            break
        if start_pr is None and merge.record is Record.APPLIED:
            found = merge
            break
        walked.append(merge)
        if start_pr is not None and merge.pull_request == start_pr:
            found = merge
            break
    looked_at = len(walked) + (1 if found is not None and start_pr is None else 0)
    if start_pr is not None:
        if found is None:
            raise PendingError(
                f"pull request #{start_pr} is not among the last {min(len(walked), lookback)} merges of main that "
                "changed the configuration: give the number of a merged pull request whose merge is in this "
                "branch's history"
            )
        later = [m for m in _one_per_pull_request(walked) if m.record is not Record.APPLIED or m is found]
        return Queue(list(reversed(later)), Start.FROM_PULL_REQUEST, None, looked_at)
    if found is None:
        newest = walked[:1]
        notes = [
            f"no merge among the last {len(walked)} that changed the configuration is recorded as applied: "
            "this is the first run that keeps the record, so only the newest merge is applied"
        ]
        return Queue(newest, Start.FIRST_RUN, None, looked_at, notes if walked else [])
    return Queue(list(reversed(_one_per_pull_request(walked))), Start.AFTER_LAST_APPLIED, found, looked_at)
