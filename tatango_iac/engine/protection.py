"""Protected lists and pinned deletes (§14): the planned actions that must never run.

- **Protected** (``protect: true`` on an entry, or an ``account.protect`` name pattern):
  no list delete and no custom-field delete or replace on that list, by any path
  (prune, ``delete: true``, a custom-field change), ``--allow-destroy`` or not. Prune
  leaves a protected list no file manages alone and reports it; any other such action
  is refused: shown as blocked, with why, and apply refuses until the configuration
  changes.
- **Lifted in the same change**: a list protected in the configuration at the git ref
  of the plan (``--changed-since``, the pull request's base) that this plan would
  delete or strip is refused too: lifting protection is a change of its own.
- **Protected before it left the configuration** (``config.history``): the git history
  remembers a list that was protected when last configured and removed without lifting
  protection first; prune reports it, never deletes it, and ``delete: true`` is refused.
  A delete the history cannot vouch for (shallow clone, no repository) is refused.
- **A pin that names another list**: ``delete: true`` on an entry with ``id:`` whose
  live list has another name is refused, naming the live list, so a typo in an id never
  deletes "Customers" under the label "Old Promo".

Pure: works on the planner's steps before they are ordered.
"""

from __future__ import annotations

import fnmatch
import json
from typing import Any, Iterable, Optional

from tatango_iac.engine.steps import Context, Step
from tatango_iac.identity.scope import Memory
from tatango_iac.model import DesiredList, LiveList
from tatango_iac.secrets import display

PROTECTED = "protected"  # an unmanaged list's action when prune leaves it alone
REFUSED = "refused"  # an unmanaged list whose prune is refused (blocked): the git history cannot vouch for it


def matching_pattern(name: str, patterns: Iterable[str]) -> Optional[str]:
    """The first glob pattern (case-sensitive, like list names) that the name matches."""
    return next((p for p in patterns if fnmatch.fnmatchcase(str(name), p)), None)


class Guard:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.entries = {d.key: d for d in ctx.desired.lists}
        self.by_id = {lst.id: lst for lst in ctx.live.lists}

    def _names(self, live: LiveList, entry: Optional[DesiredList]) -> list[str]:
        return list(dict.fromkeys([str(live.name)] + ([str(entry.name)] if entry else [])))

    def protected(self, live: LiveList, entry: Optional[DesiredList]) -> Optional[str]:
        """Why the list is protected now, or None."""
        if entry is not None and entry.protect:
            return f"protect: true ({entry.source})"
        for name in self._names(live, entry):
            pattern = matching_pattern(name, self.ctx.desired.account.protect)
            if pattern is not None:
                return f"account.protect pattern {json.dumps(pattern)}"
        return None

    def lifted(self, live: LiveList, entry: Optional[DesiredList]) -> Optional[str]:
        """Why the list counts as protected at the plan's git ref, or None."""
        scope = self.ctx.scope
        for name in self._names(live, entry):
            if name in scope.base_protected or matching_pattern(name, scope.base_patterns) is not None:
                return (
                    f"it was protected at {scope.ref}, and lifting protection is a change of its own: merge the "
                    "change that lifts it first, then delete"
                )
        return None

    def wrong_pin(self, step: Step, live: LiveList, entry: Optional[DesiredList]) -> Optional[str]:
        if entry is None or entry.id is None or not step.action.is_list_delete or str(live.name) == str(entry.name):
            return None
        return (
            f"the entry at {entry.source} is named {json.dumps(display(entry.name))}, but id {entry.id} is the live "
            f"list {json.dumps(live.name)}: delete: true deletes a pinned list only when the entry's name is the "
            f"live name (a typo in an id must never delete another list); write name: {json.dumps(live.name)} "
            "to delete it, or correct the id"
        )


def guard_steps(ctx: Context, unmanaged: list[dict[str, Any]]) -> None:
    """Drop every destructive step the rails refuse; record each as blocked (or, for prune, as protected)."""
    guard = Guard(ctx)
    pruned = {u["id"]: u for u in unmanaged}
    doomed: set[int] = set()
    for step in ctx.steps:
        action = step.action
        live = guard.by_id.get(action.list_id) if action.list_id is not None else None
        if not action.destructive or live is None:
            continue
        entry = guard.entries.get(action.list_key)
        pin = guard.wrong_pin(step, live, entry)
        why = guard.protected(live, entry)
        if why and action.is_list_delete and live.id in pruned:
            pruned[live.id]["action"] = PROTECTED  # reported, never deleted
            pruned[live.id]["protected_by"] = why
            doomed.add(step.id)
            continue
        memory = ctx.scope.remembered(live.id) if action.is_list_delete and not (why or pin) else None
        if memory is not None and memory.memory is Memory.PROTECTED and live.id in pruned:
            pruned[live.id].update(action=PROTECTED, protected_by=memory.protected_by)  # reported, never deleted
            doomed.add(step.id)
            continue
        reason = pin or (f"the list is protected by {why}" if why else None) or guard.lifted(live, entry)
        unknown = reason is None and memory is not None and memory.memory is Memory.UNKNOWN
        reason = reason or (memory.reason if memory else None)
        if reason:
            doomed |= _same_object(ctx, step)
            ctx.blocked.append(_refused(step, live, reason, pin is not None))
            if live.id in pruned and unknown:
                pruned[live.id]["action"] = REFUSED  # not known to be protected: refused, shown under Blocked
            elif live.id in pruned:
                pruned[live.id].update(action=PROTECTED, protected_by=reason)
    ctx.remove(doomed)


def removed_while_protected(ctx: Context, unmanaged: list[dict[str, Any]]) -> list[str]:
    """Without prune nothing is deleted, but a protected list leaving the configuration is worth a line."""
    guard = Guard(ctx)
    out = []
    for u in unmanaged:
        live = guard.by_id.get(u["id"])
        memory = ctx.scope.remembered(u["id"])
        by_history = live is not None and not (guard.protected(live, None) or guard.lifted(live, None))
        if u["action"] == PROTECTED and memory is not None and memory.memory is Memory.PROTECTED and by_history:
            out.append(f"list {json.dumps(memory.name, ensure_ascii=False)} (id {memory.list_id}) was {memory.reason}")
        if u["action"] == "ignore" and live is not None and guard.lifted(live, None):
            u["protected_by"] = f"protected at {ctx.scope.ref}"
            out.append(
                f"list {json.dumps(live.name, ensure_ascii=False)} (id {live.id}) was protected at "
                f"{ctx.scope.ref} and left the configuration: it is left alone (unmanaged), never deleted by "
                "this plan; protect it with an account.protect pattern to keep it safe from a later prune"
            )
    return out


def _same_object(ctx: Context, step: Step) -> set[int]:
    """A refused custom-field delete takes its re-create along (the two halves of a replace)."""
    return {s.id for s in ctx.steps if s.action.address == step.action.address} | {step.id}


def _refused(step: Step, live: LiveList, reason: str, wrong_pin: bool) -> dict[str, Any]:
    action = step.action
    address = action.address
    if action.is_list_delete:  # name the list the deletion would hit, whatever the entry says
        address = f"list[{json.dumps(live.name, ensure_ascii=False)}, id={live.id}]"
    what = "delete the list" if action.is_list_delete else f"{action.action} {address} of the list"
    message = (
        f"refused to {what} {json.dumps(live.name, ensure_ascii=False)} (id {live.id}, "
        f"{_people(live.subscribers)}): {reason}."
    )
    return {
        "list": action.list_name,
        "address": address,
        "action": action.action,
        "kind": "wrong_pin" if wrong_pin else "protected",
        "live_name": live.name,
        "live_id": live.id,
        "subscribers": live.subscribers,
        "keywords": [],
        "holder": None,
        "missing": False,
        "probably_renamed": False,
        "message": message,
    }


def _people(count: Optional[int]) -> str:
    return f"{count:,} subscribers" if isinstance(count, int) else "subscriber count unknown"
