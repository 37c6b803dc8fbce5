"""Pacing: one call every 3 s by default (with a small margin); after a 429, a fair share.

The documented limit is 1200 calls per hour for the whole account, so another job on
the same account (a drift check, a second pull request, another repository) eats the
same budget. The pace adapts the way TCP shares a link (AIMD): each 429 multiplies the
interval (the other job gets room at once), and each answered call takes a small step
back towards the configured pace (additive in rate), so two jobs settle near half the
account each, probing for room as soon as the other finishes, and never sit idle for
long. While slowed down, every wait gets random jitter of +-JITTER of the interval (never
faster than the configured pace), so two jobs do not fall into lockstep.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Optional

DEFAULT_RATE = 1200  # calls per hour: the documented limit
MARGIN = 0.1  # seconds added to every interval: the limit is not published beyond "1 call every 3 seconds"
SAFE_INTERVAL = 3600.0 / DEFAULT_RATE + MARGIN
MAX_INTERVAL = 30.0
BACKOFF = 1.5  # the interval after a 429: x1.5 (the rate drops by a third)
RECOVER_STEP = 0.2  # each answered call adds this share of the configured rate back (from half: full in 3 calls)
JITTER = 0.15  # +-15% on each wait while slowed down


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
    """Keeps request starts at least ``interval`` seconds apart; ``base`` is the configured pace."""

    interval: float
    clock: Clock
    base: float = -1.0
    last: Optional[float] = None
    calls: int = 0
    starts: list[float] = field(default_factory=list)
    random: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.base < 0:
            self.base = self.interval

    def wait(self) -> None:
        now = self.clock.monotonic()
        if self.last is not None and self.interval > 0:
            remaining = self.last + self.gap() - now
            if remaining > 0:
                self.clock.sleep(remaining)
                now = self.clock.monotonic()
        self.last = now
        self.calls += 1
        if len(self.starts) < 100_000:  # for tests and benchmarks; bounded
            self.starts.append(now)

    def gap(self) -> float:
        """The next wait: the interval, with jitter while slowed down (never under the configured pace)."""
        if self.interval <= self.base:
            return self.interval
        return max(self.base, self.interval * self.random.uniform(1 - JITTER, 1 + JITTER))

    def slow_down(self) -> None:
        """A 429: someone else uses the account's budget too. Multiplicative decrease of the rate."""
        self.interval = min(max(self.interval, self.base, SAFE_INTERVAL) * BACKOFF, MAX_INTERVAL)

    def recovered(self) -> None:
        """An answered call: additive increase of the rate, up to the configured pace."""
        if self.interval <= self.base:
            return
        floor = self.base if self.base > 0 else SAFE_INTERVAL
        rate = 1.0 / self.interval + RECOVER_STEP / floor
        self.interval = max(self.base, 1.0 / rate)
        if self.base == 0 and self.interval <= floor:
            self.interval = 0.0  # an unpaced client (tests, the sandbox) is unpaced again once recovered
