"""Prune must not delete a list that is probably a configured list renamed in the web UI.

A web-UI rename leaves the live list under a name no entry matches: prune sees an
unmanaged list, and the entry looks missing, so the plan would delete the renamed list
(every subscriber lost) and create an empty one that takes its keyword. The keyword is
the tell: an unmanaged list holding a keyword an entry claims is, most likely, that entry.

- The entry is **protected** (``protect: true`` or an ``account.protect`` pattern): the
  prune delete is refused (blocked), naming the entry and the fix (pin it with ``id:`` or
  ``renamed_from``). Since the list then keeps its keyword, ``holders`` blocks the create
  that would take it: the apply changes nothing until someone decides.
- The entry is not protected: the prune still runs (``--allow-destroy`` is the user's word),
  but the delete carries a note and the plan a warning saying it is probably a rename.

Pure: works on the planner's steps, before keyword holders are checked.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from tatango_iac.engine.protection import REFUSED, Guard, _people
from tatango_iac.engine.steps import Context, Step
from tatango_iac.model import DesiredList, LiveList
from tatango_iac.secrets import display


def _claims(ctx: Context, live: LiveList) -> list[tuple[DesiredList, list[str]]]:
    """Entries (not ``delete: true``) that claim keywords the unmanaged live list holds."""
    out = []
    for entry in ctx.desired.lists:
        wanted = entry.keywords or set()
        shared = sorted(wanted & live.keywords)
        if not entry.delete and shared:
            out.append((entry, shared))
    return out


def _pin_advice(live: LiveList) -> str:
    return (
        f"pin it with `id: {live.id}` (or `renamed_from: {json.dumps(live.name, ensure_ascii=False)}`) to keep "
        "its subscribers"
    )


def guard_renamed(ctx: Context, unmanaged: list[dict[str, Any]]) -> list[str]:
    """Refuse prune of a list a protected entry claims a keyword of; return warnings for unprotected ones."""
    guard = Guard(ctx)
    pruned = {u["id"]: u for u in unmanaged if u["action"] == "delete"}
    doomed: set[int] = set()
    warnings: list[str] = []
    for step in ctx.steps:
        live = guard.by_id.get(step.action.list_id) if step.action.list_id is not None else None
        if step.effect != "delete_list" or live is None or live.id not in pruned:
            continue
        claims = _claims(ctx, live)
        protected = [(entry, kws) for entry, kws in claims if guard.protected(live, entry)]
        if protected:
            entry, kws = protected[0]
            ctx.blocked.append(_refused(step, live, entry, kws, ctx.match.matched.get(entry.key)))
            pruned[live.id]["action"] = REFUSED
            doomed.add(step.id)
        elif claims:
            entry, kws = claims[0]
            what = _what(live, entry, kws)
            step.action.notes.append(f"probably a web-UI rename: {what}; {_pin_advice(live)}")
            warnings.append(
                f"prune deletes list {json.dumps(live.name, ensure_ascii=False)} (id {live.id}, "
                f"{_people(live.subscribers)}) although {what}: it is probably that list renamed in the web UI; "
                f"{_pin_advice(live)}"
            )
    ctx.remove(doomed)
    return warnings


def _what(live: LiveList, entry: DesiredList, keywords: list[str]) -> str:
    shown = ", ".join(display(k) for k in keywords)
    return (
        f"it holds keyword {shown} that the entry {json.dumps(display(entry.name), ensure_ascii=False)} "
        f"({entry.source}) claims"
    )


def _refused(
    step: Step, live: LiveList, entry: DesiredList, keywords: list[str], holder: Optional[LiveList]
) -> dict[str, Any]:
    shown = ", ".join(display(k) for k in keywords)
    name = json.dumps(live.name, ensure_ascii=False)
    head = f"refused to delete the list {name} (id {live.id}, {_people(live.subscribers)}) by prune: list {name} "
    protected = f"the protected entry {json.dumps(display(entry.name), ensure_ascii=False)} ({entry.source})"
    if holder is None:  # the entry is missing from the account: the unmanaged list is most likely it, renamed
        why = f"claims: it is probably that list renamed in the web UI; {_pin_advice(live)}."
    else:  # the entry's list exists: not a rename, but prune must not be how a protected list gets its keyword
        why = (
            f"would take from it (list id {holder.id}): prune never deletes a list to free a protected entry's "
            f"keyword; move the keyword in the web UI, or add list {name} to the configuration (with "
            "delete: true to delete it on purpose)."
        )
    message = f"{head}(id {live.id}) holds keyword {shown} that {protected} {why}"
    return {
        "list": step.action.list_name,
        "address": f"list[{json.dumps(live.name, ensure_ascii=False)}, id={live.id}]",
        "action": step.action.action,
        "kind": "protected",
        "live_name": live.name,
        "live_id": live.id,
        "subscribers": live.subscribers,
        "keywords": [display(k) for k in keywords],
        "holder": None,
        "missing": False,
        "probably_renamed": False,
        "message": message,
    }
