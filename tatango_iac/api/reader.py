"""Read the live account with the fewest API calls (§4), strictly (§10).

``GET /lists`` pages (lists carry their keywords and opt-in settings); then, per managed
list that exists, its webhooks only if the configuration manages them and its custom
fields only if it manages those; then one availability test per keyword the plan would
claim from outside the account. Nothing else. Every value is coerced and checked as it
is read; a field an answer does not carry is recorded as unreported.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional, Protocol, TypeVar

from tatango_iac.api import coerce
from tatango_iac.api.client import AnswerError, TatangoClient
from tatango_iac.engine.matching import match_lists
from tatango_iac.engine.recheck import missing_managed
from tatango_iac.engine.scope import Scope
from tatango_iac.engine.steps import PlanError
from tatango_iac.secrets import REDACTOR, display
from tatango_iac.model import (
    LIST_FIELDS,
    DesiredAccount,
    DesiredList,
    LiveAccount,
    LiveCustomField,
    LiveList,
    LiveWebhook,
)

T = TypeVar("T")
# What an index item and the list's own answer must agree on when both carry it.
_COMPARED_KEYS = ("name", "keyword_names", "opt_in_type", "opt_in_requests") + LIST_FIELDS


class Progress(Protocol):
    def start(self, total: int, done: int = 0) -> None: ...

    def advance(self, label: str) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, total: int, done: int = 0) -> None:
        pass

    def advance(self, label: str) -> None:
        pass

    def finish(self) -> None:
        pass


def _coerced(method: str, path: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except coerce.ShapeError as exc:
        raise AnswerError(f"{exc} (the tool refuses to guess)", status=200, method=method, path=path) from None


def read_lists(client: TatangoClient, unreported: set[str]) -> list[LiveList]:
    raw = client.list_lists()
    return _coerced("GET", "/lists", lambda: [coerce.live_list(r, f"lists[{i}]", unreported)
                                               for i, r in enumerate(raw)])


def _merged(index_item: dict[str, Any], own: dict[str, Any], fields: list[str], path: str) -> dict[str, Any]:
    """The index item completed by the object's own answer; two different values for one field stop."""
    merged = dict(index_item)
    for name in _COMPARED_KEYS:
        if name in own and name in index_item and own[name] != index_item[name]:
            raise AnswerError(f"GET /lists and GET {path} disagree on {name}: {_shown(index_item[name])} in the "
                              f"index, {_shown(own[name])} from the list itself; both are plausible readings, so "
                              "the tool does not guess which the account holds (run again; if it stays, report it "
                              "with `tatango-iac doctor --record`)", status=200, method="GET", path=path)
    merged.update({k: v for k, v in own.items() if k in fields or k not in merged})
    return merged


def complete_from_objects(client: TatangoClient, desired: DesiredAccount, scope: Scope,
                          lists: list[LiveList], raw: list[dict[str, Any]], unreported: set[str]) -> list[LiveList]:
    """Managed fields an index item leaves out are read from the list's own endpoint (§13), for managed
    lists that need it only; then every list is coerced again into ``unreported``."""
    match = match_lists(desired.lists, lists)
    by_id = {lst.id: i for i, lst in enumerate(lists)}
    for d in desired.lists:
        lst = match.matched.get(d.key)
        if lst is None or d.delete or not scope.selects(d):
            continue
        missing = missing_managed(d, lst)
        if missing:
            path = f"/lists/{lst.id}"
            raw[by_id[lst.id]] = _merged(raw[by_id[lst.id]], client.get_list(lst.id), missing, path)
    return _coerced("GET", "/lists", lambda: [coerce.live_list(r, f"lists[{i}]", unreported)
                                               for i, r in enumerate(raw)])


def _shown(value: Any) -> str:
    return json.dumps(display(value), ensure_ascii=False)[:200]


def read_webhooks(client: TatangoClient, list_id: int, unreported: set[str]) -> list[LiveWebhook]:
    raw = client.list_webhooks(list_id)
    hooks = _coerced("GET", f"/lists/{list_id}/webhooks", lambda: [
        coerce.live_webhook(h, f"webhooks[{i}]", unreported, list_id) for i, h in enumerate(raw)])
    for hook in hooks:  # a later message that echoes a live URL's secret (outside a URL) masks it too
        REDACTOR.register_url(hook.callback_url)
    return hooks


def read_custom_fields(client: TatangoClient, list_id: int, unreported: set[str]) -> list[LiveCustomField]:
    raw = client.list_custom_fields(list_id)
    return _coerced("GET", f"/lists/{list_id}/custom_fields", lambda: [
        coerce.live_custom_field(f, f"custom_fields[{i}]", unreported) for i, f in enumerate(raw)])


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


def resolve_shortcode(client: TatangoClient, desired: DesiredAccount) -> str:
    if desired.account.shortcode:
        return desired.account.shortcode
    codes = client.shortcodes()
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise PlanError(["the account has no short code: keywords cannot be tested or claimed"])
    raise PlanError([f"the account has several short codes ({', '.join(codes)}): set account.shortcode"])


def planned_reads(desired: DesiredAccount, live: LiveAccount, scope: Scope) -> list[tuple[str, DesiredList, LiveList]]:
    selected = [d for d in desired.lists if scope.selects(d) and not d.delete]
    match = match_lists(desired.lists, live.lists)  # ambiguity is reported by the planner
    reads = []
    for d in selected:
        lst = match.matched.get(d.key)
        if lst is None:
            continue
        if d.webhooks is not None:
            reads.append(("webhooks", d, lst))
        if d.custom_fields is not None:
            reads.append(("custom_fields", d, lst))
    return reads


def read_live(client: TatangoClient, desired: DesiredAccount, scope: Optional[Scope] = None,
              progress: Optional[Progress] = None, test_keywords: bool = True) -> LiveAccount:
    """``test_keywords=False`` (apply's read-back): no availability test, the writes are done."""
    scope = scope or Scope()
    progress = progress or NoProgress()
    live = LiveAccount(lists=[])
    raw = client.list_lists()
    scratch: set[str] = set()
    first = _coerced("GET", "/lists", lambda: [coerce.live_list(r, f"lists[{i}]", scratch)
                                                for i, r in enumerate(raw)])
    live.lists = complete_from_objects(client, desired, scope, first, list(raw), live.unreported)
    reads = planned_reads(desired, live, scope)
    held = {kw for lst in live.lists for kw in lst.keywords}
    claimed = claimed_new_keywords((d for d in desired.lists if scope.selects(d)), held) if test_keywords else {}
    needs_shortcode = bool(claimed) and not desired.account.shortcode
    # The number of reads is known now: the rest of the work can show count, total and time left.
    progress.start(1 + len(reads) + len(claimed) + int(needs_shortcode), done=1)
    for kind, d, lst in reads:
        if kind == "webhooks":
            live.webhooks[lst.id] = read_webhooks(client, lst.id, live.unreported)
        else:
            live.custom_fields[lst.id] = read_custom_fields(client, lst.id, live.unreported)
        progress.advance(f"{kind.replace('_', ' ')} of {lst.name}")
    if claimed:
        live.shortcode = resolve_shortcode(client, desired)
        if needs_shortcode:
            progress.advance("short codes")
        for kw in claimed:
            available, _error = client.test_keyword(live.shortcode, kw)
            live.keyword_available[kw] = available
            progress.advance(f"keyword {display(kw)}")
    progress.finish()
    return live


def read_children(client: TatangoClient, lst: LiveList, unreported: set[str]) -> tuple[list[LiveWebhook], list[Any]]:
    """A list's webhooks and custom fields (export reads everything)."""
    return read_webhooks(client, lst.id, unreported), read_custom_fields(client, lst.id, unreported)
