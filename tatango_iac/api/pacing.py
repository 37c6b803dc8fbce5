"""Pacing: one call every 3 s by default (with a small margin), slower after a 429.

The documented limit is 1200 calls per hour for the whole account, so another job on
the same account (a drift check, a second pull request) eats the same budget. After a
429 the pace slows down (x1.5, up to one call every 30 s) and recovers slowly after a
run of answered calls, so two jobs settle instead of retrying in lockstep.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional

DEFAULT_RATE = 1200  # calls per hour: the documented limit
MARGIN = 0.1  # seconds added to every interval: the limit is not published beyond "1 call every 3 seconds"
SAFE_INTERVAL = 3600.0 / DEFAULT_RATE + MARGIN
MAX_INTERVAL = 30.0
RECOVER_AFTER = 20  # answered calls in a row before the pace speeds up again


def interval_for(rate_per_hour: Optional[float]) -> float:
    return 3600.0 / rate_per_hour + MARGIN if rate_per_hour and rate_per_hour > 0 else 0.0


class Clock:
    """Real time. Tests pass a fake with the same two methods."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass
class Pacer:
    """Keeps request starts at least ``interval`` seconds apart."""

    interval: float
    clock: Clock
    base: float = -1.0
    last: Optional[float] = None
    calls: int = 0
    starts: list[float] = field(default_factory=list)
    _calm: int = 0

    def __post_init__(self) -> None:
        if self.base < 0:
            self.base = self.interval

    def wait(self) -> None:
        now = self.clock.monotonic()
        if self.last is not None and self.interval > 0:
            remaining = self.last + self.interval - now
            if remaining > 0:
                self.clock.sleep(remaining)
                now = self.clock.monotonic()
        self.last = now
        self.calls += 1
        if len(self.starts) < 100_000:  # for tests and benchmarks; bounded
            self.starts.append(now)

    def slow_down(self) -> None:
        self.interval = min(max(self.interval * 1.5, SAFE_INTERVAL), MAX_INTERVAL)
        self._calm = 0

    def recovered(self) -> None:
        if self.interval <= self.base:
            return
        self._calm += 1
        if self._calm >= RECOVER_AFTER:
            self.interval = max(self.base, self.interval / 1.5)
            self._calm = 0
