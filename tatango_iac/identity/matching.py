"""Which live list each configured list manages: by ``id:`` pin, by exact name, or by ``renamed_from``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional

from tatango_iac.model import DesiredList, LiveList


@dataclass
class Match:
    matched: dict[str, Optional[LiveList]] = field(default_factory=dict)  # desired key -> live list (None: absent)
    problems: dict[str, str] = field(default_factory=dict)  # desired key -> why it cannot be matched
    via_rename: set[str] = field(default_factory=set)

    @property
    def managed_ids(self) -> set[int]:
        return {lst.id for lst in self.matched.values() if lst is not None}


def match_lists(desired: Iterable[DesiredList], live: Iterable[LiveList]) -> Match:
    desired = list(desired)
    live = list(live)
    by_id = {lst.id: lst for lst in live}
    pinned = {d.id for d in desired if d.id is not None}
    by_name: dict[str, list[LiveList]] = defaultdict(list)
    for lst in live:
        if lst.id not in pinned:  # a pinned list is spoken for: it never matches another entry by name
            by_name[lst.name].append(lst)
    result = Match()
    for d in desired:
        if d.id is not None:
            pinned_list = by_id.get(d.id)
            result.matched[d.key] = pinned_list
            if pinned_list is None and not d.delete:
                result.problems[d.key] = (
                    f"{d.source}: list '{d.name}' pins id {d.id}, which is not in the account (deleted?): "
                    "remove `id:` to create the list anew, or `delete: true` if it should stay gone"
                )
            continue
        candidates, via = by_name.get(d.name, []), d.name
        if not candidates and d.renamed_from:
            candidates, via = by_name.get(d.renamed_from, []), d.renamed_from
            if len(candidates) == 1:
                result.via_rename.add(d.key)
        if len(candidates) > 1:
            ids = ", ".join(str(c.id) for c in sorted(candidates, key=lambda c: c.id))
            result.problems[d.key] = (
                f"{d.source}: list '{d.name}' matches {len(candidates)} live lists named '{via}' (ids {ids}); the "
                "API allows duplicate names: pin the one this entry manages with `id: N` (the other then shows "
                "as unmanaged; `tatango-iac export` writes the pins)"
            )
        result.matched[d.key] = candidates[0] if len(candidates) == 1 else None
    return result
