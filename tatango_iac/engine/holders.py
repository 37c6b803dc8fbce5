"""Wanted keywords held by a list that no step of the plan will make let go of.

A keyword held by a list that no file manages is drift made by hand (a list renamed in
the web UI, a keyword moved to another list): the change is *blocked* and reported,
never an error of the nightly job and never advice to prune. A keyword held by a
managed list whose keywords the configuration leaves alone, or by a list outside the
plan's scope, is a configuration problem: an error naming both lists.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tatango_iac.engine.steps import Context, Step
from tatango_iac.model import DesiredList, LiveList
from tatango_iac.secrets import display


def _releasing(ctx: Context) -> dict[int, set[str]]:
    by_id = {lst.id: lst for lst in ctx.live.lists}
    releasing: dict[int, set[str]] = defaultdict(set)
    for step in ctx.steps:
        if step.holder[0] != "live":
            continue
        if step.effect == "set_keywords":
            releasing[step.holder[1]] |= by_id[step.holder[1]].keywords - set(step.final_keywords)
        elif step.effect == "delete_list":
            releasing[step.holder[1]] |= by_id[step.holder[1]].keywords
    return releasing


def check_holders(ctx: Context) -> None:
    """Record problems (errors) and blocked changes (drift); drop the blocked steps."""
    holder_of = {kw: lst for lst in ctx.live.lists for kw in lst.keywords}
    releasing = _releasing(ctx)
    managed = ctx.match.managed_ids
    by_key = ctx.desired.by_key()
    blocked_steps: dict[int, tuple[Step, LiveList, list[str]]] = {}
    for step in ctx.steps:
        for kw in step.final_keywords:
            holder = holder_of.get(kw)
            if holder is None or step.holder == ("live", holder.id) or kw in releasing[holder.id]:
                continue
            d = by_key.get(step.action.list_key)
            if holder.id not in managed:
                blocked_steps.setdefault(step.id, (step, holder, []))[2].append(kw)
                continue
            where = f"{d.keyword_sources.get(kw, d.source)}: " if d else ""
            if not ctx.scope.full and not any(x.name == holder.name for x in ctx.desired.lists if ctx.scope.selects(x)):
                why = (
                    "which is outside --target (add it as a target)"
                    if ctx.scope.kind == "target"
                    else f"which is not among the lists changed since {ctx.scope.ref} (plan it without --changed-since)"
                )
            else:
                why = "whose keyword_names the configuration leaves unmanaged (list them there without it)"
            ctx.problems.append(
                f"{where}keyword '{display(kw)}' of list '{step.action.list_name}' is held by list "
                f"'{holder.name}' (id {holder.id}), {why}"
            )
    for step, holder, keywords in blocked_steps.values():
        ctx.blocked.append(_blocked_entry(step, holder, sorted(keywords), by_key.get(step.action.list_key)))
    ctx.remove(set(blocked_steps))


def _blocked_entry(step: Step, holder: LiveList, keywords: list[str], d: DesiredList | None) -> dict[str, Any]:
    shown = ", ".join(display(k) for k in keywords)
    missing = step.effect == "create_list"
    where = f" ({d.source})" if d else ""
    name = step.action.list_name
    if missing:
        message = (
            f"list {name!r} is missing from the account, and list {holder.name!r} (id {holder.id}), which no "
            f"file manages, holds its keyword(s) {shown}: probably renamed from {name!r} to {holder.name!r} "
            f"in the web UI. Add `renamed_from: {holder.name!r}` to list {name!r}{where} to adopt it, or "
            f"rename it back in the web UI."
        )
    else:
        message = (
            f"keyword(s) {shown} wanted by list {name!r} are held by list {holder.name!r} (id {holder.id}), "
            f"which no file manages (moved by hand?): add list {holder.name!r} to the configuration without "
            f"them, or take them out of list {name!r}{where}."
        )
    return {
        "list": name,
        "address": step.action.address,
        "action": step.action.action,
        "keywords": [display(k) for k in keywords],
        "holder": holder.name,
        "holder_id": holder.id,
        "missing": missing,
        "probably_renamed": missing,
        "message": message,
    }
