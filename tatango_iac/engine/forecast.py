"""What an apply of a plan will cost, in API calls and time at the configured pace (pure, no I/O).

The API allows one call every 3 s for the whole account, so a long apply is a scheduling
problem: a GitHub job stops at 6 hours. The forecast counts every call the apply makes:

- ``reads``: the fresh read an apply starts with (``apply PATH``, ``--expect`` and
  ``--plan`` all re-read the account with the plan's scope): what the plan itself spent,
- ``keyword_checks``: the availability tests of that read (one per keyword claimed from
  outside the account, plus ``GET /shortcodes`` when no short code is configured),
- ``writes``: one per action, two for a custom-field replace (delete, then create),
- ``guard_reads``: the applier's re-reads against concurrent applies (the list index
  before the first list create; an existing list's webhooks before its first webhook
  create),
- ``readback``: the re-read after the last write, when the apply makes one.

Retries (5xx, 429, a dropped connection) are not foreseeable: they come on top, and
the apply's ``--max-calls`` / ``--max-time`` budget counts them as they happen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from tatango_iac.engine.plan import Action, Plan

JOB_LIMIT_SECONDS = 6 * 3600  # a GitHub-hosted job is stopped after 6 hours
INDEX_PAGE_SIZE = 1000  # GET /lists?per_page=1000


def index_pages(live_lists: int) -> int:
    """Calls to read the whole list index (an empty account is still one page)."""
    return max(1, math.ceil(live_lists / INDEX_PAGE_SIZE))


def write_calls(action: Action) -> int:
    """Writes one action makes: a replace is a delete and a create; everything else is one call."""
    return 2 if action.action == "replace" else 1


def guard_reads(actions: Iterable[Action], live_lists: int) -> int:
    """The applier's re-reads before creates (see the applier's concurrent-apply guards)."""
    actions = list(actions)
    lists = index_pages(live_lists) if any(a.resource == "list" and a.action == "create" for a in actions) else 0
    hooks = {a.list_id for a in actions if a.resource == "webhook" and a.action == "create" and a.list_id is not None}
    return lists + len(hooks)


def guard_reads_before(action: Action, earlier: Iterable[Action], live_lists: int) -> int:
    """The guard re-read ``action`` triggers, given the actions applied before it in this run."""
    return guard_reads([*earlier, action], live_lists) - guard_reads(earlier, live_lists)


@dataclass(frozen=True)
class Forecast:
    reads: int
    keyword_checks: int
    writes: int
    guard_reads: int
    readback: int
    interval: float  # seconds per call at the configured pace (0 = unpaced)
    job_limit: float = JOB_LIMIT_SECONDS

    @property
    def calls(self) -> int:
        return self.reads + self.keyword_checks + self.writes + self.guard_reads + self.readback

    @property
    def seconds(self) -> float:
        return self.calls * self.interval

    @property
    def fits_one_job(self) -> bool:
        return self.seconds <= self.job_limit

    @property
    def jobs(self) -> int:
        """Chained runs of ``apply --max-time`` this takes (each re-reads before it writes)."""
        if self.fits_one_job or self.interval <= 0:
            return 1
        per_job = int(self.job_limit / self.interval) - self.reads - self.keyword_checks - self.readback
        if per_job <= 0:
            return 0  # the reads alone do not fit one job
        return math.ceil((self.writes + self.guard_reads) / per_job)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "reads": self.reads,
            "keyword_checks": self.keyword_checks,
            "writes": self.writes,
            "guard_reads": self.guard_reads,
            "readback": self.readback,
            "seconds_per_call": round(self.interval, 3),
            "seconds": round(self.seconds, 1),
            "fits_one_job": self.fits_one_job,
            "jobs": self.jobs,
        }

    @classmethod
    def from_json(cls, data: Optional[dict[str, Any]]) -> Optional["Forecast"]:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                int(data["reads"]),
                int(data["keyword_checks"]),
                int(data["writes"]),
                int(data["guard_reads"]),
                int(data["readback"]),
                float(data["seconds_per_call"]),
            )
        except (KeyError, TypeError, ValueError):
            return None  # a plan saved by an older version: shown without a forecast

    def sentence(self) -> str:
        parts = [
            f"{self.reads} read(s)",
            f"{self.keyword_checks} keyword check(s)",
            f"{self.writes} write(s)",
            f"{self.guard_reads} re-read(s) before creates",
        ]
        if self.readback:
            parts.append(f"{self.readback} re-read(s) after the writes")
        when = f"{duration(self.seconds)} at one call every {self.interval:g} s" if self.interval > 0 else "unpaced"
        text = f"Apply forecast: {self.calls} API call(s) ({', '.join(parts)}), {when}."
        if self.fits_one_job:
            return text
        if self.jobs == 0:
            return text + " Its reads alone do not fit one 6-hour job: narrow it with --target."
        return (
            text + f" It does not fit one 6-hour job: it takes {self.jobs} chained run(s) of "
            "`apply --max-time` (the shipped apply workflow chains them)."
        )


def forecast(
    plan: Plan, read_calls: int, keyword_checks: int, live_lists: int, interval: float, readback: int = 0
) -> Forecast:
    """The cost of applying ``plan``; ``read_calls`` and ``keyword_checks`` are what its own read spent."""
    return Forecast(
        reads=max(read_calls - keyword_checks, 0),
        keyword_checks=keyword_checks,
        writes=sum(write_calls(a) for a in plan.actions),
        guard_reads=guard_reads(plan.actions, live_lists),
        readback=readback,
        interval=interval,
    )


def duration(seconds: float) -> str:
    """3 h 05 min, 12 min, 40 s: rounded up, never shorter than it will be."""
    seconds = math.ceil(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
