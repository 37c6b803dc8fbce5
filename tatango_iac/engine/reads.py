"""What the planner needs read after the list index (§4): the reader is told, it does not decide.

Per selected, managed list that exists: its webhooks only if the configuration manages
them, its custom fields only if it manages those; then one availability test for each
keyword the configuration claims that no list of the account holds; and the list itself
(``GET /lists/{id}``) where the index's item leaves out a field the configuration manages.
Pure: no I/O.
"""

from __future__ import annotations

from typing import Iterable, Optional

from tatango_iac.engine.recheck import missing_managed
from tatango_iac.identity.matching import match_lists
from tatango_iac.identity.scope import Scope
from tatango_iac.model import (
    Child,
    DesiredAccount,
    DesiredList,
    LiveList,
    Reads,
    ReadsFor,
)


def claimed_new_keywords(lists: Iterable[DesiredList], live_keywords: set[str]) -> dict[str, DesiredList]:
    """Keywords the configuration wants that no list of the account holds now: keyword -> its list."""
    out: dict[str, DesiredList] = {}
    for d in lists:
        if d.delete:
            continue
        for kw in sorted(d.keywords or (), key=str):
            if kw not in live_keywords:
                out[kw] = d
    return out


def reads_for(desired: DesiredAccount, scope: Optional[Scope] = None) -> ReadsFor:
    """The reads a plan of ``desired`` within ``scope`` needs, once the list index is known."""
    scope = scope or Scope()

    def decide(index: list[LiveList]) -> Reads:
        selected = [d for d in desired.lists if scope.selects(d) and not d.delete]
        match = match_lists(desired.lists, index)  # ambiguity is reported by the planner
        children, objects = [], []
        for d in selected:
            lst = match.matched.get(d.key)
            if lst is None:
                continue
            if missing_managed(d, lst):  # the index left out a managed field: read the list itself (§13)
                objects.append(lst)
            if d.webhooks is not None:
                children.append((Child.WEBHOOKS, lst))
            if d.custom_fields is not None:
                children.append((Child.CUSTOM_FIELDS, lst))
        held = {kw for lst in index for kw in lst.keywords}
        claimed = claimed_new_keywords((d for d in desired.lists if scope.selects(d)), held)
        return Reads(
            children=tuple(children),
            keywords=tuple(claimed),
            shortcode=desired.account.shortcode,
            objects=tuple(objects),
        )

    return decide
