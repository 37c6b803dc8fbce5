"""What pull writes: for each managed attribute whose live value differs, the live value (pure, no I/O).

The comparison is the planner's own (``engine.normalize``): what the plan would change is
exactly what pull takes back, so that after pull the plan says "No changes" for those lists.
Only what the configuration manages is pulled: an attribute, collection or webhook event
left out of the file stays left out. Collections are pulled as a whole: keywords as a set
(kept ones keep their written form), opt-in requests by position, custom fields by key,
webhooks by canonical URL (a new live webhook's secrets become ``${TATANGO_SECRET_...}``
placeholders, as export writes them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from tatango_iac.engine.normalize import (
    complete_request,
    differs,
    norm_cf_attr,
    norm_list_field,
    norm_request,
)
from tatango_iac.engine.webhooks import (
    _secret_pairs,  # the planner's own pairing of a changed ${SECRET}
)
from tatango_iac.exporter import (
    REQUIRED_FIELD_KEYS,
    REQUIRED_REQUEST_KEYS,
    Placeholders,
)
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import (
    CUSTOM_FIELD_ATTRS,
    OPT_IN_REQUEST_FIELDS,
    DesiredList,
    LiveCustomField,
    LiveList,
    LiveWebhook,
    known,
    normalize_keyword,
)
from tatango_iac.pull.templates import literal, live_text
from tatango_iac.pull.yamledit import Keep
from tatango_iac.secrets import display


class EditKind(Enum):
    SCALAR = "scalar"  # one value replaced (or its key added)
    SCALARS = "scalars"  # a sequence of scalars replaced as a whole (keywords)
    ITEMS = "items"  # a sequence of mappings: items removed, items appended


@dataclass
class Edit:
    kind: EditKind
    path: tuple  # inside the list's entry
    value: Any = None  # SCALAR: the value to write (strings in configuration syntax)
    items: list[Keep | Any] = field(default_factory=list)  # SCALARS
    removed: set[int] = field(default_factory=set)  # ITEMS
    appended: list[dict[str, Any]] = field(default_factory=list)  # ITEMS

    @property
    def what(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out


@dataclass
class ListPull:
    """The edits for one configured list, and what pull cannot take back (warnings)."""

    desired: DesiredList
    live: LiveList
    edits: list[Edit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Attributes left as written because a ${VARIABLE} changed (the plan still shows them, by these paths).
    kept: set[str] = field(default_factory=set)


def _text(pull: ListPull, path: tuple, desired: Any, live: Any, env: Mapping[str, str]) -> None:
    """A live string as configuration text; a changed ${VARIABLE} is never written, only named."""
    if not isinstance(live, str):
        pull.edits.append(Edit(EditKind.SCALAR, path, value=live))
        return
    found = live_text(desired, live, env)
    if found.text is not None:
        pull.edits.append(Edit(EditKind.SCALAR, path, value=found.text))
        return
    names = ", ".join(f"${{{n}}}" for n in found.changed_variables)
    pull.kept.update({Edit(EditKind.SCALAR, path).what, str(path[-1])})
    pull.warnings.append(
        f"{pull.desired.source.file}: list {display(pull.desired.name)!r}: "
        f"{Edit(EditKind.SCALAR, path).what} differs in the value of {names}: the file keeps its "
        f"template; set {names} to the web UI's value where it is set (it is never written to a file)"
    )


def list_pull(
    d: DesiredList,
    live: LiveList,
    hooks: list[LiveWebhook] | None,
    fields: list[LiveCustomField] | None,
    env: Mapping[str, str],
    secrets: Placeholders,
) -> ListPull:
    pull = ListPull(d, live)
    if d.id is not None and live.name != d.name:  # a pinned list renamed in the web UI
        _text(pull, ("name",), d.name, live.name, env)
    for name, value in d.fields.items():
        current = live.fields.get(name)
        if differs(norm_list_field(name, current), norm_list_field(name, value)):
            _text(pull, (name,), value, current, env)
    _keywords(pull)
    _opt_in(pull, env)
    if d.custom_fields is not None and fields is not None:
        _custom_fields(pull, fields, env)
    if d.webhooks is not None and hooks is not None:
        _webhooks(pull, hooks, secrets)
    return pull


def _keywords(pull: ListPull) -> None:
    d, live = pull.desired, pull.live
    if d.keyword_names is None or d.keywords == live.keywords:
        return
    items: list[Keep | Any] = []
    seen: set[str] = set()
    for index, keyword in enumerate(d.keyword_names):
        upper = normalize_keyword(keyword)
        if upper in live.keywords and upper not in seen:
            items.append(Keep(index))
            seen.add(upper)
    items += [literal(k) for k in live.keyword_names if normalize_keyword(k) not in seen]
    pull.edits.append(Edit(EditKind.SCALARS, ("keyword_names",), items=items))


def _opt_in(pull: ListPull, env: Mapping[str, str]) -> None:
    d, live = pull.desired, pull.live
    if d.opt_in_type is not None and known(live.opt_in_type) and live.opt_in_type != d.opt_in_type:
        pull.edits.append(Edit(EditKind.SCALAR, ("opt_in_type",), value=live.opt_in_type))
    if (
        d.bypass_opt_in_response is not None
        and live.bypass_opt_in_response is not None
        and live.bypass_opt_in_response != d.bypass_opt_in_response
    ):
        pull.edits.append(Edit(EditKind.SCALAR, ("bypass_opt_in_response",), value=live.bypass_opt_in_response))
    if d.opt_in_requests is None or not known(live.opt_in_requests):
        return
    wanted, current = d.opt_in_requests, live.opt_in_requests
    for index in range(min(len(wanted), len(current))):
        mine, theirs = norm_request(complete_request(wanted[index])), norm_request(current[index])
        for name in OPT_IN_REQUEST_FIELDS:
            if differs(theirs[name], mine[name]):
                _text(pull, ("opt_in_requests", index, name), wanted[index].get(name), current[index].get(name), env)
    removed = set(range(len(current), len(wanted)))
    appended = [_exported(r, OPT_IN_REQUEST_FIELDS, REQUIRED_REQUEST_KEYS) for r in current[len(wanted) :]]
    if removed or appended:
        pull.edits.append(Edit(EditKind.ITEMS, ("opt_in_requests",), removed=removed, appended=appended))


def _exported(
    values: Mapping[str, Any], names: tuple[str, ...], required: tuple[str, ...], first: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A new item written as export writes it: known values, nulls only where the schema requires the key."""
    out = dict(first or {})
    for name in names:
        value = values.get(name)
        if known(value) and (value is not None or name in required):
            out[name] = literal(value) if isinstance(value, str) else value
    return out


def _custom_fields(pull: ListPull, fields: list[LiveCustomField], env: Mapping[str, str]) -> None:
    live_by_key = {f.key: f for f in fields}
    wanted = pull.desired.custom_fields or []
    removed = set()
    for index, f in enumerate(wanted):
        current = live_by_key.get(f.key)
        if current is None:
            removed.add(index)
            continue
        for attr, value in f.attrs.items():
            if differs(norm_cf_attr(attr, current.attrs.get(attr)), norm_cf_attr(attr, value)):
                _text(pull, ("custom_fields", index, attr), value, current.attrs[attr], env)
    written = {f.key for f in wanted}
    appended = [
        _exported(f.attrs, CUSTOM_FIELD_ATTRS, REQUIRED_FIELD_KEYS, {"key": f.key})
        for f in fields
        if f.key not in written
    ]
    if removed or appended:
        pull.edits.append(Edit(EditKind.ITEMS, ("custom_fields",), removed=removed, appended=appended))


def _webhooks(pull: ListPull, hooks: list[LiveWebhook], secrets: Placeholders) -> None:
    d = pull.desired
    by_url: dict[str, LiveWebhook] = {}
    for live_hook in sorted(hooks, key=lambda h: h.id):
        by_url.setdefault(canonical_url(live_hook.callback_url), live_hook)
    wanted = d.webhooks or []
    wanted_urls = {canonical_url(h.callback_url) for h in wanted}
    unmatched = [h for h in wanted if canonical_url(h.callback_url) not in by_url]
    pairs = _secret_pairs(unmatched, [u for u in by_url if u not in wanted_urls])
    paired = {id(unmatched[i]): pair for i, pair in pairs.items()}
    taken: set[str] = set()
    removed = set()
    for index, hook in enumerate(wanted):
        url = canonical_url(hook.callback_url)
        if url in by_url:
            current = by_url[url]
        elif id(hook) in paired:
            live_url, names = paired[id(hook)]
            current = by_url[live_url]
            shown = ", ".join(f"${{{n}}}" for n in names)
            pull.warnings.append(
                f"{hook.source}: list {display(d.name)!r}: the live webhook URL differs in the value "
                f"of {shown}: the file keeps its template; set {shown} to the web UI's value where "
                "it is set (it is never written to a file)"
            )
        else:
            removed.add(index)
            continue
        taken.add(canonical_url(current.callback_url))
        for event, value in hook.events.items():
            live_value = current.events.get(event)
            if known(live_value) and bool(live_value) != bool(value):
                pull.edits.append(Edit(EditKind.SCALAR, ("webhooks", index, event), value=bool(live_value)))
    appended = []
    for url, current in by_url.items():
        if url not in taken:
            appended.append(
                {
                    "callback_url": secrets.url(current.callback_url, d.name),
                    **{e: v for e, v in current.events.items() if known(v)},
                }
            )
    if removed or appended:
        pull.edits.append(Edit(EditKind.ITEMS, ("webhooks",), removed=removed, appended=appended))


def describe(edit: Edit) -> str:
    """One line of the report: what was taken from the account (values are in the diff, not here)."""
    if edit.kind is EditKind.ITEMS:
        parts = [
            f"{len(edit.removed)} removed" if edit.removed else "",
            f"{len(edit.appended)} added" if edit.appended else "",
        ]
        return f"{edit.what}: {', '.join(p for p in parts if p)}"
    if edit.kind is EditKind.SCALARS:
        return f"{edit.what}: now {len(edit.items)} item(s)"
    return edit.what if isinstance(edit.value, str) else f"{edit.what} = {json.dumps(edit.value)}"
