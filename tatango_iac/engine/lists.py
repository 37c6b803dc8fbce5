"""Actions on a list itself: create, update (rename and attributes), delete, keywords, opt-in settings."""

from __future__ import annotations

import json
from typing import Any, Optional

from tatango_iac.engine.diffs import field_changes, request_changes
from tatango_iac.engine.kinds import Kind, Reason, Resource
from tatango_iac.engine.normalize import (
    complete_request,
    differs,
    mask_unknown_requests,
    norm_list_field,
    norm_request,
    outgoing_list_field,
)
from tatango_iac.engine.plan import Action
from tatango_iac.engine.steps import (
    PHASE_LAST,
    PHASE_MAIN,
    SUB_KEYWORDS,
    SUB_LIST,
    SUB_OPT_IN,
    Context,
    Step,
    holder_key,
    list_address,
    shown_name,
)
from tatango_iac.model import SINGLE_OPT_IN_MESSAGES, DesiredList, LiveList, known, normalize_keyword


def wanted_keywords(d: DesiredList) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_keyword(k) for k in d.keyword_names or []))


def list_steps(ctx: Context, index: int, d: DesiredList, live: Optional[LiveList]) -> Optional[Step]:
    """The list's own steps; returns the create step (children depend on it), if any."""
    key = holder_key(d, live)
    if d.delete:
        if live is not None:
            # A pinned delete names the live list it hits, by its live name and id (engine.protection refuses
            # it when the entry's name is another).
            address = (
                list_address(d)
                if d.id is None
                else (f"list[{json.dumps(live.name, ensure_ascii=False)}, id={live.id}]")
            )
            delete_list_step(
                ctx,
                live,
                address,
                shown_name(d),
                d.key,
                reason="delete: true in the configuration",
                code=Reason.DELETE_BY_REQUEST,
            )
        return None
    if live is None:
        return _create(ctx, index, d, key)
    _update(ctx, index, d, live, key)
    _keywords(ctx, index, d, live, key)
    return None


def delete_list_step(
    ctx: Context, live: LiveList, address: str, name: str, list_key: str, reason: str, code: Reason
) -> Step:
    """Deleting a list frees its keywords; ordering moves it first when a kept list wants one of them."""
    before = {"id": live.id, "name": live.name, "keyword_names": sorted(live.keywords), "subscribers": live.subscribers}
    action = Action(
        Kind.DELETE,
        Resource.LIST,
        address,
        name,
        before=before,
        destructive=True,
        list_id=live.id,
        subscribers=live.subscribers,
        reason=reason,
        reason_code=code,
        list_key=list_key,
    )
    return ctx.add(Step(action, (PHASE_LAST, 10**9, 0), ("live", live.id), effect="delete_list"))


def _create(ctx: Context, index: int, d: DesiredList, key: tuple) -> Step:
    after: dict[str, Any] = {"name": d.name, **d.fields}
    payload = {"name": d.name, **{k: outgoing_list_field(k, v) for k, v in d.fields.items()}}
    keywords = wanted_keywords(d)
    if d.keyword_names is not None:
        after["keyword_names"] = list(keywords)
        payload["keyword_names"] = list(keywords)
    action = Action(
        Kind.CREATE,
        Resource.LIST,
        list_address(d),
        shown_name(d),
        after=after,
        payload=payload,
        claims=frozenset(keywords),
        list_key=d.key,
        reason_code=Reason.CREATE_BECAUSE_MISSING,
    )
    return ctx.add(Step(action, (PHASE_MAIN, index, SUB_LIST), key, effect="create_list", final_keywords=keywords))


def _update(ctx: Context, index: int, d: DesiredList, live: LiveList, key: tuple) -> None:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    if live.name != d.name:
        before["name"], after["name"] = live.name, d.name
        payload["name"] = d.name
    for name, value in d.fields.items():
        if differs(norm_list_field(name, live.fields.get(name)), norm_list_field(name, value)):
            before[name], after[name] = live.fields.get(name), value
            payload[name] = outgoing_list_field(name, value)
    if not after:
        return
    renamed = "name" in after
    action = Action(
        Kind.UPDATE,
        Resource.LIST,
        list_address(d),
        shown_name(d),
        before=before,
        after=after,
        list_id=live.id,
        payload=payload,
        reason=f"renamed from '{live.name}'" if renamed else "",
        reason_code=Reason.UPDATE_BECAUSE_RENAMED if renamed else Reason.UPDATE_BECAUSE_DIFFERS,
        changes=field_changes(before, after),
        list_key=d.key,
    )
    ctx.add(Step(action, (PHASE_MAIN, index, SUB_LIST), key))


def _keywords(ctx: Context, index: int, d: DesiredList, live: LiveList, key: tuple) -> None:
    if d.keyword_names is None:
        return
    final = wanted_keywords(d)
    if set(final) == live.keywords:
        return
    # before/after/changes are filled in by ordering: the state this step meets when applied in order.
    action = Action(
        Kind.UPDATE,
        Resource.KEYWORDS,
        f"{list_address(d)}.keywords",
        shown_name(d),
        list_id=live.id,
        payload={"keyword_names": list(final)},
        claims=frozenset(set(final) - live.keywords),
        list_key=d.key,
        reason_code=Reason.UPDATE_BECAUSE_DIFFERS,
    )
    ctx.add(Step(action, (PHASE_MAIN, index, SUB_KEYWORDS), key, effect="set_keywords", final_keywords=final))


# ------------------------------------------------------------------ opt-in


def opt_in_step(ctx: Context, index: int, d: DesiredList, live: Optional[LiveList], deps: set[int]) -> None:
    if not d.manages_opt_in:
        return
    live_type = live.opt_in_type if live else "single"
    want_type = d.opt_in_type or (live_type if known(live_type) else ("double" if d.opt_in_requests else None))
    live_requests = live.opt_in_requests if live else []
    address = f"{list_address(d)}.opt_in_settings"
    if want_type is None or (want_type == "double" and d.opt_in_requests is None and not known(live_requests)):
        ctx.problems.append(
            f"{d.source}: cannot plan {address}: the API does not report the live opt-in "
            "settings that the same call must send back; write opt_in_type and opt_in_requests"
        )
        return
    wanted = [complete_request(r) for r in d.opt_in_requests] if d.opt_in_requests is not None else None
    if want_type == "single":
        wanted = []
    elif wanted is None:
        wanted = [complete_request(r) for r in live_requests]  # unmanaged: send the live ones back unchanged
        if any(not known(v) for r in wanted for v in r.values()):
            ctx.problems.append(
                f"{d.source}: cannot plan {address}: the API does not report every field of the "
                "live opt-in requests, which the same call must send back; write opt_in_requests"
            )
            return
    compared_live = (
        [norm_request(r) for r in mask_unknown_requests(live_requests, wanted)] if known(live_requests) else None
    )
    before: dict[str, Any] = {"opt_in_type": live_type if known(live_type) else None}
    after: dict[str, Any] = {"opt_in_type": want_type}
    changes = (
        [] if not differs(live_type, want_type) else [{"path": "opt_in_type", "before": live_type, "after": want_type}]
    )
    if compared_live is not None:
        wanted_norm = [norm_request(r) for r in wanted]
        changes += request_changes(compared_live, wanted_norm)
        before["opt_in_requests"] = [complete_request(r) for r in live_requests]
        after["opt_in_requests"] = wanted
    live_bypass = live.bypass_opt_in_response if live else False
    # bypass is reported only inside opt-in requests: a single opt-in list's value cannot be read back.
    if d.bypass_opt_in_response is not None and live_bypass is not None:
        before["bypass_opt_in_response"], after["bypass_opt_in_response"] = live_bypass, d.bypass_opt_in_response
        if live_bypass != d.bypass_opt_in_response:
            changes.append({"path": "bypass_opt_in_response", "before": live_bypass, "after": d.bypass_opt_in_response})
    if not changes:  # a new list starts single, with no requests and bypass off
        return
    payload = _opt_in_payload(d, want_type, wanted)
    kind, code = (
        (Kind.CREATE, Reason.CREATE_BECAUSE_MISSING) if live is None else (Kind.UPDATE, Reason.UPDATE_BECAUSE_DIFFERS)
    )
    action = Action(
        kind,
        Resource.OPT_IN_SETTINGS,
        address,
        shown_name(d),
        reason_code=code,
        before=None if live is None else before,
        after=after,
        list_id=live.id if live else None,
        payload=payload,
        changes=changes if live is not None else [],
        list_key=d.key,
    )
    ctx.add(Step(action, (PHASE_MAIN, index, SUB_OPT_IN), holder_key(d, live), deps=set(deps)))


def _opt_in_payload(d: DesiredList, want_type: str, wanted: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete body, so that server defaults never fill what we left out."""
    payload: dict[str, Any] = {"opt_in_type": want_type}
    if want_type == "double":
        payload["opt_in_requests"] = [dict(r) for r in wanted]
    else:
        for name in SINGLE_OPT_IN_MESSAGES:  # the managed confirmations travel with a switch to single
            if name in d.fields:
                payload[name] = outgoing_list_field(name, d.fields[name])
    if d.bypass_opt_in_response is not None:
        payload["bypass_opt_in_response"] = d.bypass_opt_in_response
    return payload
