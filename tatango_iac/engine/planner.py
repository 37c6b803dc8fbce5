"""The pure planner: desired model + live model in, ordered Plan out. No I/O.

Identity (§2): a list by exact name (or ``renamed_from``), a keyword by its
upper-cased text, a custom field by key, a webhook by resolved callback_url.
Ordering (§5): no step claims a keyword another list still holds at that moment.
Steps are scheduled by simulating who holds each keyword; a cycle (two lists
swapping keywords) is broken by first releasing keywords in a separate step.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from tatango_iac.model import (
    CUSTOM_FIELD_ATTRS,
    OPT_IN_REQUEST_FIELDS,
    WEBHOOK_EVENTS,
    DesiredAccount,
    DesiredList,
    LiveAccount,
    LiveList,
    normalize_keyword,
)
from tatango_iac.engine.plan import Action, Plan, plain
from tatango_iac.secrets import display

_BOOLEAN_LIST_FIELDS = ("email_subscribe", "email_unsubscribe")
_SUB_LIST, _SUB_KEYWORDS, _SUB_OPT_IN, _SUB_CF_DELETE_EARLY, _SUB_CF, _SUB_WEBHOOK = 0, 1, 2, 3, 4, 5


class PlanError(Exception):
    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


# ------------------------------------------------------------ normalization


def norm_list_field(name: str, value: Any) -> Any:
    """Equivalent forms compare equal: null and "" for texts, null and false for flags."""
    if name in _BOOLEAN_LIST_FIELDS:
        return bool(value) if isinstance(value, bool) or value is None else value
    return "" if value is None else value


def norm_request(request: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in OPT_IN_REQUEST_FIELDS:
        value = request.get(name)
        if name == "follow_up":
            value = bool(value)
        elif name == "follow_up_hour":
            value = value if request.get("follow_up") else None
        elif value is None and name not in ("collected_data", "success_action"):
            value = ""
        out[name] = value
    return out


def norm_cf_attr(name: str, value: Any) -> Any:
    if name == "should_validate_regex_via_api":
        return bool(value)
    if name in ("pattern", "default_value", "label"):
        return "" if value is None else value
    return value


def list_address(name: str) -> str:
    return f"list[{json.dumps(name, ensure_ascii=False)}]"


# ------------------------------------------------------------------ matching


def match_lists(desired: Iterable[DesiredList], live: Iterable[LiveList]) -> tuple[dict[str, Optional[LiveList]], list[str]]:
    """Desired list name -> the live list it manages (None: to create)."""
    by_name: dict[str, list[LiveList]] = defaultdict(list)
    for lst in live:
        by_name[lst.name].append(lst)
    matched: dict[str, Optional[LiveList]] = {}
    problems: list[str] = []
    for d in desired:
        candidates, via = by_name.get(d.name, []), d.name
        if not candidates and d.renamed_from:
            candidates, via = by_name.get(d.renamed_from, []), d.renamed_from
        if len(candidates) > 1:
            ids = ", ".join(str(c.id) for c in sorted(candidates, key=lambda c: c.id))
            problems.append(f"{d.source}: list '{d.name}' matches {len(candidates)} live lists named '{via}' "
                            f"(ids {ids}); the API allows duplicate names: rename or delete all but one in the web UI")
        matched[d.name] = candidates[0] if len(candidates) == 1 else None
    return matched, problems


# ------------------------------------------------------------------ steps


@dataclass
class _Step:
    action: Action
    order: tuple
    list_key: Any
    effect: Optional[str] = None  # create_list | set_keywords | delete_list
    final_keywords: tuple[str, ...] = ()
    deps: set[int] = field(default_factory=set)
    id: int = 0


@dataclass
class _Context:
    live: LiveAccount
    steps: list[_Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, step: _Step) -> _Step:
        step.id = len(self.steps) + 1
        self.steps.append(step)
        return step


def _list_actions(ctx: _Context, index: int, d: DesiredList, live: Optional[LiveList]) -> None:
    address = list_address(d.name)
    key = ("live", live.id) if live else ("new", d.name)
    create_step = None
    if live is None:
        after = {"name": d.name, **d.fields}
        payload = dict(after)
        keywords = tuple(dict.fromkeys(normalize_keyword(k) for k in d.keyword_names or []))
        if d.keyword_names is not None:
            after["keyword_names"] = list(keywords)
            payload["keyword_names"] = list(keywords)
        create_step = ctx.add(_Step(
            Action("create", "list", address, d.name, after=after, payload=payload, claims=frozenset(keywords)),
            (1, index, _SUB_LIST), key, effect="create_list", final_keywords=keywords))
    else:
        before, after = {}, {}
        if live.name != d.name:
            before["name"], after["name"] = live.name, d.name
        for name, value in d.fields.items():
            if norm_list_field(name, live.fields.get(name)) != norm_list_field(name, plain(value)):
                before[name], after[name] = live.fields.get(name), value
        if after:
            reason = f"renamed from '{live.name}'" if "name" in after else ""
            ctx.add(_Step(Action("update", "list", address, d.name, before=before, after=after, list_id=live.id,
                                 payload=dict(after), reason=reason), (1, index, _SUB_LIST), key))
        _keyword_update(ctx, index, d, live, key)
    deps = {create_step.id} if create_step else set()
    _opt_in_action(ctx, index, d, live, key, deps)
    _custom_field_actions(ctx, index, d, live, key, deps)
    _webhook_actions(ctx, index, d, live, key, deps)


def _keyword_update(ctx: _Context, index: int, d: DesiredList, live: LiveList, key: Any) -> None:
    if d.keyword_names is None:
        return
    final = tuple(dict.fromkeys(normalize_keyword(k) for k in d.keyword_names))
    if set(final) == live.keywords:
        return
    action = Action("update", "keywords", f"{list_address(d.name)}.keywords", d.name,
                    before={"keyword_names": sorted(live.keywords)}, after={"keyword_names": sorted(final)},
                    list_id=live.id, payload={"keyword_names": list(final)}, claims=frozenset(set(final) - live.keywords))
    ctx.add(_Step(action, (1, index, _SUB_KEYWORDS), key, effect="set_keywords", final_keywords=final))


def _opt_in_action(ctx: _Context, index: int, d: DesiredList, live: Optional[LiveList], key: Any, deps: set[int]) -> None:
    if not d.manages_opt_in:
        return
    live_type = live.opt_in_type if live else "single"
    live_requests = [norm_request(r) for r in live.opt_in_requests] if live else []
    want_type = d.opt_in_type or live_type
    if want_type == "single":
        want_requests: list = []
    elif d.opt_in_requests is not None:
        want_requests = [norm_request(r) for r in d.opt_in_requests]
    else:
        want_requests = live_requests
    before = {"opt_in_type": live_type, "opt_in_requests": live_requests}
    after = {"opt_in_type": want_type, "opt_in_requests": want_requests}
    live_bypass = live.bypass_opt_in_response if live else False
    # bypass is reported only inside opt-in requests: a single opt-in list's value cannot be read back.
    if d.bypass_opt_in_response is not None and live_bypass is not None:
        before["bypass_opt_in_response"] = live_bypass
        after["bypass_opt_in_response"] = d.bypass_opt_in_response
    if plain(before) == plain(after):
        return
    payload: dict[str, Any] = {"opt_in_type": want_type}
    if want_type == "double":
        source = d.opt_in_requests if d.opt_in_requests is not None else [
            {k: r.get(k) for k in OPT_IN_REQUEST_FIELDS} for r in live.opt_in_requests]  # type: ignore[union-attr]
        payload["opt_in_requests"] = [dict(r) for r in source]
    if d.bypass_opt_in_response is not None:
        payload["bypass_opt_in_response"] = d.bypass_opt_in_response
    ctx.add(_Step(Action("create" if live is None else "update", "opt_in_settings",
                         f"{list_address(d.name)}.opt_in_settings", d.name, before=None if live is None else before,
                         after=after, list_id=live.id if live else None, payload=payload),
                  (1, index, _SUB_OPT_IN), key, deps=set(deps)))


def _custom_field_actions(ctx: _Context, index: int, d: DesiredList, live: Optional[LiveList], key: Any,
                          deps: set[int]) -> None:
    if d.custom_fields is None:
        return
    live_fields = {f.key: f for f in (ctx.live.custom_fields.get(live.id, []) if live else [])}
    wanted = {f.key: f for f in d.custom_fields}
    base = list_address(d.name)
    list_id = live.id if live else None
    new_labels = {str(f.attrs.get("label", "")).lower() for f in d.custom_fields if f.key not in live_fields}
    for f in d.custom_fields:
        address = f"{base}.custom_field[{json.dumps(f.key)}]"
        payload = {"key": f.key, **f.attrs}
        current = live_fields.get(f.key)
        if current is None:
            ctx.add(_Step(Action("create", "custom_field", address, d.name, after=payload, list_id=list_id,
                                 payload=payload), (1, index, _SUB_CF), key, deps=set(deps)))
            continue
        written = [a for a in CUSTOM_FIELD_ATTRS if a in f.attrs]
        if all(norm_cf_attr(a, current.attrs.get(a)) == norm_cf_attr(a, plain(f.attrs[a])) for a in written):
            continue
        before = {"key": f.key, **{a: current.attrs.get(a) for a in CUSTOM_FIELD_ATTRS}}
        after = {"key": f.key, **{a: f.attrs.get(a, current.attrs.get(a)) for a in CUSTOM_FIELD_ATTRS}}
        ctx.add(_Step(Action("replace", "custom_field", address, d.name, before=before, after=after,
                             destructive=True, list_id=list_id, payload={"key": f.key, **{
                                 a: v for a, v in after.items() if a != "key" and v is not None}},
                             reason="the API cannot update a custom field: delete, then create (stored values are lost)"),
                      (1, index, _SUB_CF), key, deps=set(deps)))
    for f_key, current in live_fields.items():
        if f_key in wanted:
            continue
        early = str(current.attrs.get("label", "")).lower() in new_labels  # free the label before a create reuses it
        ctx.add(_Step(Action("delete", "custom_field", f"{base}.custom_field[{json.dumps(f_key)}]", d.name,
                             before={"key": f_key, **current.attrs}, destructive=True, list_id=list_id,
                             payload={"key": f_key}),
                      (1, index, _SUB_CF_DELETE_EARLY) if early else (2, index, _SUB_CF), key))


def _webhook_actions(ctx: _Context, index: int, d: DesiredList, live: Optional[LiveList], key: Any,
                     deps: set[int]) -> None:
    if d.webhooks is None:
        return
    base = list_address(d.name)
    list_id = live.id if live else None
    live_hooks: dict[str, list] = defaultdict(list)
    for hook in sorted(ctx.live.webhooks.get(live.id, []) if live else [], key=lambda h: h.id):
        live_hooks[hook.callback_url].append(hook)
    wanted = {str(h.callback_url) for h in d.webhooks}
    for hook in d.webhooks:
        address = f"{base}.webhook[{json.dumps(display(hook.callback_url, url=True))}]"
        current = live_hooks.get(str(hook.callback_url))
        if not current:
            payload = {"callback_url": hook.callback_url,
                       **{e: bool(hook.events.get(e, False)) for e in WEBHOOK_EVENTS}}
            ctx.add(_Step(Action("create", "webhook", address, d.name, after=payload, list_id=list_id,
                                 payload=payload), (1, index, _SUB_WEBHOOK), key, deps=set(deps)))
            continue
        first = current[0]
        changed = {e: v for e, v in hook.events.items() if first.events.get(e) != v}
        if changed:
            ctx.add(_Step(Action("update", "webhook", address, d.name,
                                 before={"callback_url": hook.callback_url, **{e: first.events[e] for e in changed}},
                                 after={"callback_url": hook.callback_url, **changed}, list_id=list_id,
                                 target_id=first.id, payload=dict(changed)), (1, index, _SUB_WEBHOOK), key))
    for url, hooks in live_hooks.items():
        extras = hooks if url not in wanted else hooks[1:]
        for hook in extras:
            reason = "" if url not in wanted else f"duplicate of webhook id {hooks[0].id}"
            ctx.add(_Step(Action("delete", "webhook", f"{base}.webhook[{json.dumps(display(url, url=True))}]", d.name,
                                 before={"callback_url": url, **hook.events}, list_id=list_id, target_id=hook.id,
                                 reason=reason), (2, index, _SUB_WEBHOOK), key))


# ------------------------------------------------------------------ ordering


def _schedule(ctx: _Context, live_lists: list[LiveList], names: dict[Any, str]) -> list[Action]:
    holders: dict[str, Any] = {}
    held_by: dict[Any, set[str]] = defaultdict(set)
    for lst in live_lists:
        for kw in lst.keywords:
            holders[kw] = ("live", lst.id)
            held_by[("live", lst.id)].add(kw)
    # Kept sorted by (phase, list, kind): the first ready step is the next one, so a pick is
    # cheap unless steps are blocked (only keyword claims block, and they are few).
    pending = sorted(ctx.steps, key=lambda s: (s.order, s.id))
    done: set[int] = set()
    ordered: list[Action] = []

    def blocked_by(step: _Step) -> list[tuple[str, Any]]:
        return [(kw, holders[kw]) for kw in step.final_keywords
                if kw in holders and holders[kw] != step.list_key]

    while pending:
        position = next((i for i, s in enumerate(pending) if s.deps <= done and not blocked_by(s)), None)
        if position is None:
            release = _release_step(ctx, pending, held_by)
            if release is None:
                for step in pending:
                    for kw, holder in blocked_by(step):
                        ctx.problems.append(f"keyword '{kw}' wanted by list '{step.action.list_name}' is held by "
                                            f"list '{names.get(holder, holder)}', and no step of this plan frees it")
                if not ctx.problems:
                    ctx.problems.append("internal error: plan steps could not be ordered")
                return ordered
            pending.insert(0, release)  # a release has phase 0: it sorts first
            continue
        step = pending.pop(position)
        done.add(step.id)
        ordered.append(step.action)
        if step.effect in ("create_list", "set_keywords"):
            for kw in held_by[step.list_key] - set(step.final_keywords):
                holders.pop(kw, None)
            for kw in step.final_keywords:
                holders[kw] = step.list_key
            held_by[step.list_key] = set(step.final_keywords)
        elif step.effect == "delete_list":
            for kw in held_by.pop(step.list_key, set()):
                holders.pop(kw, None)
    return ordered


def _release_step(ctx: _Context, pending: list[_Step], held_by: dict[Any, set[str]]) -> Optional[_Step]:
    """Break a keyword cycle: let one list first drop the keywords others wait for."""
    wanted_elsewhere = {kw: s.list_key for s in pending for kw in s.final_keywords}
    for step in sorted(pending, key=lambda s: (s.order, s.id)):
        if step.effect != "set_keywords":
            continue
        keep = [kw for kw in step.final_keywords if kw in held_by[step.list_key]]
        freed = sorted(kw for kw in held_by[step.list_key] - set(keep)
                       if wanted_elsewhere.get(kw) not in (None, step.list_key))
        if not freed:
            continue
        a = step.action
        action = Action("update", "keywords", a.address, a.list_name,
                        before={"keyword_names": sorted(held_by[step.list_key])}, after={"keyword_names": sorted(keep)},
                        list_id=a.list_id, payload={"keyword_names": keep},
                        reason=f"release {', '.join(freed)} for another list first")
        release = _Step(action, (0,) + step.order[1:], step.list_key, effect="set_keywords", final_keywords=tuple(keep))
        release.id = max(s.id for s in ctx.steps) + 1
        ctx.steps.append(release)
        return release
    return None


# --------------------------------------------------------------- the planner


def plan(desired: DesiredAccount, live: LiveAccount, targets: Iterable[str] = ()) -> Plan:
    """Compute the ordered plan; raise PlanError for anything that makes it unsafe to apply."""
    targets = list(targets)
    selected = [d for d in desired.lists if not targets or d.name in targets]
    problems = [f"--target '{t}' is not a list in the configuration" for t in targets
                if t not in {d.name for d in desired.lists}]
    matched, match_problems = match_lists(selected, live.lists)
    problems += match_problems
    problems += _unavailable_keywords(selected, live)
    all_matched, _ = match_lists(desired.lists, live.lists)
    managed_ids = {m.id for m in all_matched.values() if m is not None}
    # A name shared by several live lists matches none of them above; none of them is "unmanaged" either.
    ambiguous = {d.name for d in desired.lists} | {d.renamed_from for d in desired.lists if d.renamed_from}
    ctx = _Context(live)
    for index, d in enumerate(selected):
        _list_actions(ctx, index, d, matched.get(d.name))
    unmanaged = []
    if not targets:
        claimed = {kw for s in ctx.steps for kw in s.final_keywords}
        for lst in live.lists:
            if lst.id in managed_ids or lst.name in ambiguous:
                continue
            prune = desired.account.prune
            unmanaged.append({"id": lst.id, "name": lst.name, "subscribers": lst.subscribers,
                              "keyword_names": sorted(lst.keywords), "action": "delete" if prune else "ignore"})
            if prune:
                frees = bool(lst.keywords & claimed)
                ctx.add(_Step(Action("delete", "list", list_address(lst.name), lst.name,
                                     before={"id": lst.id, "name": lst.name, "keyword_names": sorted(lst.keywords),
                                             "subscribers": lst.subscribers},
                                     destructive=True, list_id=lst.id, subscribers=lst.subscribers,
                                     reason="prune: no file manages this list"),
                              (0 if frees else 2, 10**9, 0), ("live", lst.id), effect="delete_list"))
    problems += _unreleasable_claims(ctx, live, desired, targets)
    if problems:
        raise PlanError(problems)
    names = {("live", lst.id): f"{lst.name} (id {lst.id})" for lst in live.lists}
    actions = _schedule(ctx, live.lists, names)
    if ctx.problems:
        raise PlanError(ctx.problems)
    warnings = ["--target given: unmanaged lists are not reported and prune is off"] if targets else []
    return Plan(actions=actions, unmanaged_lists=unmanaged, config_paths=list(desired.files),
                config_digest=desired.digest, fingerprints=dict(live.fingerprints), targets=targets,
                warnings=warnings)


def _unavailable_keywords(selected: list[DesiredList], live: LiveAccount) -> list[str]:
    problems = []
    for d in selected:
        for kw in sorted(d.keywords or ()):
            if live.keyword_available.get(kw) is False:
                problems.append(f"{d.keyword_sources.get(kw, d.source)}: keyword '{kw}' of list '{d.name}' is not "
                                f"available on short code {live.shortcode} (held by another account or reserved)")
    return problems


def _unreleasable_claims(ctx: _Context, live: LiveAccount, desired: DesiredAccount, targets: list[str]) -> list[str]:
    """A wanted keyword held by a list that no step of the plan will make let go of."""
    holder_of = {kw: lst for lst in live.lists for kw in lst.keywords}
    by_id = {lst.id: lst for lst in live.lists}
    by_name = {d.name: d for d in desired.lists}
    releasing: dict[int, set[str]] = defaultdict(set)
    for step in ctx.steps:
        if step.effect == "set_keywords" and step.list_key[0] == "live":
            releasing[step.list_key[1]] |= by_id[step.list_key[1]].keywords - set(step.final_keywords)
        elif step.effect == "delete_list":
            releasing[step.list_key[1]] |= by_id[step.list_key[1]].keywords
    managed_names = {d.name for d in desired.lists} | {d.renamed_from for d in desired.lists if d.renamed_from}
    problems = []
    for step in ctx.steps:
        for kw in step.final_keywords:
            holder = holder_of.get(kw)
            if holder is None or step.list_key == ("live", holder.id) or kw in releasing[holder.id]:
                continue
            d = by_name.get(step.action.list_name)
            where = f"{d.keyword_sources.get(kw, d.source)}: " if d else ""
            if holder.name not in managed_names:
                why = "which no file manages (add it to the configuration, or set account.prune: true)"
            elif targets and holder.name not in targets:
                why = "which is outside --target (add it as a target)"
            else:
                why = "whose keyword_names the configuration leaves unmanaged (list them there without it)"
            problems.append(f"{where}keyword '{kw}' of list '{step.action.list_name}' is held by list "
                            f"'{holder.name}' (id {holder.id}), {why}")
    return problems
