"""An apply's budget in calls and time (``apply --max-calls N`` / ``--max-time D``).

A GitHub job stops at 6 hours and the account allows one call every 3 s, so a large
apply must stop cleanly before the runner kills it: at an action boundary, never in
the middle of a replace. Before each action the budget checks that the action's
nominal calls (its writes, and a guard re-read it triggers), plus the calls kept for
the end (the re-read after the writes), still fit what is left; the reads the apply
made first are counted (they are calls of this run). Time is foreseen at the pace the
client has *now*: after 429s it is slower, and the budget sees it.

Retries cannot be foreseen: the action under way may overrun by its retries, at most
the client's retry limit. That is why the shipped workflow sets ``--max-time`` well
under the job's 6 hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from tatango_iac.engine.forecast import duration

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
MAX_SECONDS = 7 * 24 * 3600  # a week: anything longer is a typo


def parse_duration(text: str) -> float:
    """``5h30m``, ``90m``, ``45s`` or plain seconds (``3600``); ValueError with the reason otherwise."""
    raw = text.strip().lower()
    if raw.isdigit():
        seconds = float(raw)
    else:
        match = _DURATION.fullmatch(raw)
        if not raw or match is None or not any(match.groups()):
            raise ValueError(f"{text!r} is not a duration (write it as 5h30m, 90m, 45s or a number of seconds)")
        hours, minutes, secs = (int(g or 0) for g in match.groups())
        seconds = float(hours * 3600 + minutes * 60 + secs)
    if seconds <= 0:
        raise ValueError(f"{text!r}: the duration must be more than 0")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text!r} is more than a week")
    return seconds


@dataclass
class ApplyBudget:
    max_calls: Optional[int]
    max_seconds: Optional[float]
    calls: Callable[[], int]  # calls this run has made so far (retries included)
    now: Callable[[], float]  # monotonic seconds
    interval: Callable[[], float]  # seconds per call at the current pace
    start_calls: int = 0
    start_time: float = 0.0
    reserve: int = 0  # calls kept for the end (the re-read after the writes)

    @property
    def limited(self) -> bool:
        return self.max_calls is not None or self.max_seconds is not None

    def spent(self) -> int:
        return self.calls() - self.start_calls

    def elapsed(self) -> float:
        return self.now() - self.start_time

    def stop_reason(self, cost: int) -> Optional[str]:
        """Why the next action (``cost`` calls) must not start, or None when it fits."""
        needed = cost + self.reserve
        if self.max_calls is not None and self.spent() + needed > self.max_calls:
            left = self.max_calls - self.spent()
            return (
                f"--max-calls {self.max_calls}: {self.spent()} call(s) made, {max(left, 0)} left, and the next "
                f"action needs {cost}"
                + (f" plus {self.reserve} for the re-read after the writes" if self.reserve else "")
            )
        if self.max_seconds is not None and self.elapsed() + needed * self.interval() > self.max_seconds:
            return (
                f"--max-time {duration(self.max_seconds)}: {duration(self.elapsed())} spent, and the next "
                f"action needs about {duration(needed * self.interval())} at the current pace"
            )
        return None
