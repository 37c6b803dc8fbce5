"""Where a planned value came from: the list itself, a template, or ``account.defaults``.

Pure: after scheduling, each action of a list that takes fields from a template gets
``origins`` (field -> 'template "store"'), and each of its changes a ``from``; the
renderers show it on the change and group it ("template "store": 200 lists,
message_help"), so a change to one template reads as one change that reaches many lists.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from tatango_iac.engine.plan import Action
from tatango_iac.model import DesiredAccount, DesiredList

# Actions on a list's children: the whole collection is one field of the list.
_COLLECTION = {"custom_field": "custom_fields", "webhook": "webhooks", "keywords": "keyword_names"}
_TOP = re.compile(r"[.\[]")


def _field(path: str) -> str:
    return _TOP.split(path, maxsplit=1)[0]


def annotate(actions: Iterable[Action], desired: DesiredAccount) -> None:
    lists = desired.by_key()
    for action in actions:
        d = lists.get(action.list_key)
        if d is not None and d.origins:
            _annotate(action, d)


def _annotate(action: Action, d: DesiredList) -> None:
    collection = _COLLECTION.get(action.resource)
    if collection is not None:
        label = d.origin_label(collection)
        if label:
            action.origins[collection] = label
            for change in action.changes:
                change["from"] = label
        return
    for change in action.changes:
        label = d.origin_label(_field(change["path"]))
        if label:
            change["from"] = label
            action.origins[_field(change["path"])] = label
    if action.action == "create":
        for name in action.after or {}:
            if d.origin_label(name):
                action.origins[name] = d.origin_label(name)


def by_origin(actions: Iterable[Action]) -> list[tuple[str, int, list[str]]]:
    """(origin, lists it reaches in this plan, fields), most lists first."""
    reach: dict[str, tuple[set[str], dict[str, None]]] = {}
    for action in actions:
        for name, label in action.origins.items():
            lists, fields = reach.setdefault(label, (set(), {}))
            lists.add(action.list_name)
            fields[name] = None
    rows = [(label, len(lists), sorted(fields)) for label, (lists, fields) in reach.items()]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def origin_lines(actions: Iterable[Action]) -> list[str]:
    rows = by_origin(actions)
    if not rows:
        return []
    lines = ["Changes that come from templates and account.defaults (each list is planned above):"]
    lines += [
        f"  {label}: {count} list{'s' if count != 1 else ''}, {', '.join(fields)}" for label, count, fields in rows
    ]
    return lines


def origins_json(action: Action) -> dict[str, Any]:
    return {"from": dict(action.origins)} if action.origins else {}
