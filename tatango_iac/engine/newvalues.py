"""Rules the API reference does not back are errors only for values the plan writes new (§7).

An account made in the web UI may hold a 16-character keyword, a keyword with a hyphen,
a 30-character list name or a follow-up hour the rules would refuse for a new object.
Adopting that account must not fail on what it already holds: ``validate`` reports these
as warnings, and the plan turns each into an error only when an action would write the
value new (create, rename, claim, or change it).
"""

from __future__ import annotations

from typing import Any, Iterable

from tatango_iac.engine.plan import Action
from tatango_iac.engine.steps import Context
from tatango_iac.model import NewValueRule, known


def _writes_new(rule: NewValueRule, actions: list[Action], ctx: Context) -> bool:
    mine = [a for a in actions if a.list_key == rule.list_key]
    if rule.kind == "keyword":
        return any(rule.detail in a.claims for a in mine)
    if rule.kind == "list-name":
        return any(a.resource == "list" and (a.action == "create" or "name" in (a.after or {})) for a in mine)
    if rule.kind == "custom-field":
        return any(
            a.resource == "custom_field" and a.action in ("create", "replace") and a.payload.get("key") == rule.detail
            for a in mine
        )
    if rule.kind == "request-field":
        return any(a.resource == "opt_in_settings" and _request_value_is_new(a, rule.detail, ctx) for a in mine)
    raise ValueError(rule.kind)


def _request_value_is_new(action: Action, detail: tuple[int, str], ctx: Context) -> bool:
    index, name = detail
    wanted = action.payload.get("opt_in_requests") or []
    if index >= len(wanted):
        return False
    live = next((lst for lst in ctx.live.lists if lst.id == action.list_id), None)
    live_requests = live.opt_in_requests if live is not None and known(live.opt_in_requests) else []
    if index >= len(live_requests):
        return True
    current: Any = live_requests[index].get(name)
    return known(current) and current != wanted[index].get(name)


def new_value_problems(rules: Iterable[NewValueRule], actions: list[Action], ctx: Context) -> list[str]:
    return [
        f"{rule.source}: {rule.message}: refused because the plan writes it new [{rule.rule}]"
        for rule in rules
        if _writes_new(rule, actions, ctx)
    ]
