"""Read the live account with the fewest API calls (§4), strictly (§10).

``GET /lists`` pages (lists carry their keywords and opt-in settings); then exactly the
reads the caller asks for, given that index (``model.Reads``: see ``engine.reads`` for how the
planner decides them: per managed list that exists, its webhooks only if the
configuration manages them and its custom fields only if it manages those; one
availability test per keyword the plan would claim from outside the account). Nothing
else. The reader knows nothing of the configuration nor of the planner. Every value is coerced and checked as it
is read; a field an answer does not carry is recorded as unreported.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Protocol, TypeVar

from tatango_iac.api import coerce
from tatango_iac.api.client import AnswerError, TatangoClient
from tatango_iac.errors import PlanError
from tatango_iac.model import (
    LIST_FIELDS,
    Child,
    LiveAccount,
    LiveCustomField,
    LiveList,
    LiveWebhook,
    ReadsFor,
)
from tatango_iac.secrets import REDACTOR, display

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
    return _lists(client.list_lists(), unreported)


def _lists(raw: list[dict[str, Any]], unreported: set[str]) -> list[LiveList]:
    return _coerced(
        "GET", "/lists", lambda: [coerce.live_list(r, f"lists[{i}]", unreported) for i, r in enumerate(raw)]
    )


def _shown(value: Any) -> str:
    return json.dumps(display(value), ensure_ascii=False)[:200]


def _merged(index_item: dict[str, Any], own: dict[str, Any], path: str) -> dict[str, Any]:
    """The index item completed by the list's own answer; two different values for one field stop (§13)."""
    for name in _COMPARED_KEYS:
        if name in own and name in index_item and own[name] != index_item[name]:
            raise AnswerError(
                f"GET /lists and GET {path} disagree on {name}: {_shown(index_item[name])} in the "
                f"index, {_shown(own[name])} from the list itself; both are plausible readings, so "
                "the tool does not guess which the account holds (run again; if it stays, report it "
                "with `tatango-iac doctor --record`)",
                status=200,
                method="GET",
                path=path,
            )
    return {**own, **index_item}


def _complete(
    client: TatangoClient, raw: list[dict[str, Any]], objects: tuple[LiveList, ...], progress: "Progress"
) -> list[dict[str, Any]]:
    """Managed fields an index item leaves out, read from the list's own endpoint (only the lists asked for)."""
    position = {str(item.get("id")): i for i, item in enumerate(raw) if isinstance(item, dict)}
    completed = list(raw)
    for lst in objects:
        i = position[str(lst.id)]
        completed[i] = _merged(raw[i], client.get_list(lst.id), f"/lists/{lst.id}")
        progress.advance(f"list {lst.name}")
    return completed


def read_webhooks(client: TatangoClient, list_id: int, unreported: set[str]) -> list[LiveWebhook]:
    raw = client.list_webhooks(list_id)
    hooks = _coerced(
        "GET",
        f"/lists/{list_id}/webhooks",
        lambda: [coerce.live_webhook(h, f"webhooks[{i}]", unreported, list_id) for i, h in enumerate(raw)],
    )
    for hook in hooks:  # a later message that echoes a live URL's secret (outside a URL) masks it too
        REDACTOR.register_url(hook.callback_url)
    return hooks


def read_custom_fields(client: TatangoClient, list_id: int, unreported: set[str]) -> list[LiveCustomField]:
    raw = client.list_custom_fields(list_id)
    return _coerced(
        "GET",
        f"/lists/{list_id}/custom_fields",
        lambda: [coerce.live_custom_field(f, f"custom_fields[{i}]", unreported) for i, f in enumerate(raw)],
    )


def resolve_shortcode(client: TatangoClient, configured: Optional[str]) -> str:
    if configured:
        return configured
    codes = client.shortcodes()
    if len(codes) == 1:
        return codes[0]
    if not codes:
        raise PlanError(["the account has no short code: keywords cannot be tested or claimed"])
    raise PlanError([f"the account has several short codes ({', '.join(codes)}): set account.shortcode"])


def read_live(client: TatangoClient, reads_for: ReadsFor, progress: Optional[Progress] = None) -> LiveAccount:
    """The list index, then exactly what ``reads_for`` asks for, given that index."""
    progress = progress or NoProgress()
    live = LiveAccount(lists=[])
    raw = client.list_lists()
    index = _lists(raw, set())
    reads = reads_for(index)
    # The number of reads is known now: the rest of the work can show count, total and time left.
    progress.start(1 + reads.count, done=1)
    live.lists = _lists(_complete(client, raw, reads.objects, progress) if reads.objects else raw, live.unreported)
    for child, lst in reads.children:
        if child is Child.WEBHOOKS:
            live.webhooks[lst.id] = read_webhooks(client, lst.id, live.unreported)
        else:
            live.custom_fields[lst.id] = read_custom_fields(client, lst.id, live.unreported)
        progress.advance(f"{child.value} of {lst.name}")
    if reads.keywords:
        live.shortcode = resolve_shortcode(client, reads.shortcode)
        if not reads.shortcode:
            progress.advance("short codes")
        for kw in reads.keywords:
            available, _error = client.test_keyword(live.shortcode, kw)
            live.keyword_available[kw] = available
            progress.advance(f"keyword {display(kw)}")
    progress.finish()
    return live


def read_children(client: TatangoClient, lst: LiveList, unreported: set[str]) -> tuple[list[LiveWebhook], list[Any]]:
    """A list's webhooks and custom fields (export reads everything)."""
    return read_webhooks(client, lst.id, unreported), read_custom_fields(client, lst.id, unreported)
