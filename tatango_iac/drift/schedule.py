"""Which lists' children (webhooks, custom fields) a budgeted drift check reads tonight (pure).

The list index (1 call per 1000 lists) carries every list's attributes, texts, keywords
and opt-in flow, so it is read in full every night. Webhooks and custom fields cost a
call per list each: they get what is left of the budget, least recently checked first.

Order: lists whose children were never checked (by the state file) first, then by the
time of their last check, oldest first; ties are broken by a rotation of the lists
sorted by id, shifted by the night's date, so that even without a state file night d
starts where night d-1 stopped. Each night reads at least ``per_night`` lists (the
budget left divided by the largest per-list cost), so for a stable set of lists every
one is read within ``ceil(lists / per_night)`` nights, with or without the state file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

NEVER = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Candidate:
    list_id: int
    key: str  # the configuration entry
    name: str  # display-safe
    cost: int  # calls: 1 (webhooks or custom fields managed) or 2 (both)


@dataclass(frozen=True)
class Selection:
    checked: list[Candidate]  # read tonight
    skipped: list[Candidate]  # not read tonight, least recently checked first
    budget: Optional[int]  # None: no budget, everything is read
    fixed_calls: int  # the index and the keyword checks: spent every night
    per_night: int  # lists read at least, each night
    nights: Optional[int]  # every list read within this many nights (None: never, the budget is too small)

    def to_json(self, last: dict[int, datetime]) -> dict[str, object]:
        return {
            "budget": self.budget,
            "fixed_calls": self.fixed_calls,
            "lists": len(self.checked) + len(self.skipped),
            "checked": len(self.checked),
            "per_night": self.per_night,
            "full_coverage_nights": self.nights,
            "not_checked": [
                {"list": c.name, "id": c.list_id, "last_checked": _stamp(last.get(c.list_id))} for c in self.skipped
            ],
        }


def _stamp(when: Optional[datetime]) -> Optional[str]:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else None


def order(candidates: list[Candidate], last: dict[int, datetime], day: int, per_night: int) -> list[Candidate]:
    by_id = sorted(candidates, key=lambda c: c.list_id)
    n = len(by_id)
    if n == 0:
        return []
    offset = (day * max(per_night, 1)) % n
    rank = {c.list_id: (i - offset) % n for i, c in enumerate(by_id)}
    return sorted(by_id, key=lambda c: (last.get(c.list_id, NEVER), rank[c.list_id]))


def select(
    candidates: list[Candidate], last: dict[int, datetime], day: int, budget: Optional[int], fixed_calls: int
) -> Selection:
    """Spend ``budget`` minus ``fixed_calls`` on the children of the least recently checked lists."""
    if budget is None:
        everything = order(candidates, last, day, len(candidates))
        return Selection(everything, [], None, fixed_calls, len(everything), 1 if everything else 0)
    available = max(budget - fixed_calls, 0)
    largest = max((c.cost for c in candidates), default=1)
    per_night = available // largest
    ordered = order(candidates, last, day, per_night)
    checked: list[Candidate] = []
    for candidate in ordered:
        if candidate.cost > available:
            break  # keep the order fair: the next night starts here
        available -= candidate.cost
        checked.append(candidate)
    skipped = ordered[len(checked) :]
    if not candidates:
        nights: Optional[int] = 0
    else:
        nights = math.ceil(len(candidates) / per_night) if per_night else None
    return Selection(checked, skipped, budget, fixed_calls, per_night, nights)
