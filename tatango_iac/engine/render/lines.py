"""The body of one action as (sign, text) lines, shared by the text and Markdown renderers.

A sign is ``+`` (added), ``-`` (removed), ``~`` (changed) or `` `` (context). The text
renderer indents after the sign; Markdown puts the sign in column 0 so that GitHub
colours a ``diff`` block. Long strings are wrapped into several quoted pieces that join
without separators into the exact value (whitespace included).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tatango_iac.engine.kinds import Kind
from tatango_iac.engine.plan import Action
from tatango_iac.secrets import display
from tatango_iac.terminal import BIDI_CONTROLS, safe

WIDTH = 96  # characters of a quoted piece
LINE = 100  # an attribute line (label included, indentation not) wraps to stay within this
Line = tuple[str, str]


def value_text(value: Any) -> str:
    return safe(json.dumps(value, ensure_ascii=False))


# Characters shown as an escape (by JSON, or by ``safe`` for the terminal): more than one column each.
_ESCAPED = re.compile('["\\\\\x00-\x1f\x7f-\x9f' + "".join(map(chr, sorted(BIDI_CONTROLS))) + "]")


def _quoted_len(ch: str) -> int:
    return len(safe(json.dumps(ch, ensure_ascii=False)[1:-1])) if _ESCAPED.match(ch) else 1


class _Pieces:
    """Greedy filling of quoted pieces; every character is looked at a bounded number of times."""

    def __init__(self, room: int):
        self.room = room  # columns inside the quotes
        self.done: list[str] = []
        self.parts: list[str] = []
        self.used = 0

    def flush(self) -> None:
        self.done.append("".join(self.parts))
        self.parts, self.used = [], 0

    def add(self, text: str, cost: int) -> None:
        if self.used and self.used + cost > self.room:
            self.flush()
        self.parts.append(text)
        self.used += cost

    def add_word(self, word: str) -> None:
        if not _ESCAPED.search(word):  # the common case: one column a character, cut by slicing
            if self.used and self.used + len(word) > self.room and len(word) <= self.room:
                self.flush()  # the word fits on a piece of its own: break at the space before it
            start = 0
            while start < len(word):
                take = max(self.room - self.used, 0) or self.room
                if self.used + min(take, len(word) - start) > self.room:
                    self.flush()
                    take = self.room
                self.add(word[start : start + take], min(take, len(word) - start))
                start += take
            return
        costs = [_quoted_len(ch) for ch in word]
        total = sum(costs)
        if self.used and self.used + total > self.room >= total:
            self.flush()
        if self.used + total <= self.room:
            self.add(word, total)
            return
        for ch, cost in zip(word, costs, strict=True):  # a long word with escapes: cut between characters
            self.add(ch, cost)


def pieces(text: str, width: int = WIDTH) -> list[str]:
    """Split a string, at spaces where it can, into quoted pieces that fit the width and join back
    exactly (leading, trailing and repeated spaces included). Linear in the length of the text: a
    megabyte without a space is cut into pieces, never re-measured from its start."""
    filler = _Pieces(max(width - 2, 6))  # 6: the widest escape (\u001b) always fits
    for index, word in enumerate(text.split(" ")):
        if index:
            filler.add(" ", 1)  # a space ends the piece it fits in: the next word starts a new one
        filler.add_word(word)
    filler.flush()
    return [value_text(c) for c in filler.done]


def _value_lines(sign: str, label: str, value: Any) -> list[Line]:
    """``label = value``, a long string continuing on aligned lines."""
    width = max(40, LINE - len(label) - 3)
    if isinstance(value, str) and len(value_text(value)) > width:
        parts = pieces(value, width)
        pad = " " * (len(label) + 3)
        return [(sign, f"{label} = {parts[0]}")] + [(sign, f"{pad}{p}") for p in parts[1:]]
    return [(sign, f"{label} = {value_text(value)}")]


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested values (opt-in requests) as one entry per leaf: opt_in_requests[0].collected_data."""
    if isinstance(value, dict) and (value or not prefix):
        items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in value.items()]
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(value)]
    else:
        return [(prefix, value)]
    return [pair for key, v in items for pair in _flatten(v, key)]


def attribute_lines(sign: str, value: Any, indent: str = "") -> list[Line]:
    shown = _flatten(value or {})
    width = max((len(k) for k, _ in shown), default=0)
    return [line for k, v in shown for line in _value_lines(sign, indent + safe(k).ljust(width), v)]


def _is_text_change(change: dict[str, Any]) -> bool:
    values = (change.get("before"), change.get("after"))
    return any(isinstance(v, str) for v in values) and all(isinstance(v, str) or v is None for v in values)


def change_lines(change: dict[str, Any]) -> list[Line]:
    path = safe(change["path"])
    if change.get("from"):  # the value is written in a template or account.defaults, not on the list
        path += safe(f" (from {change['from']})")
    op = change.get("op")
    if change["path"] == "keyword_names" and op:
        keyword = safe(str(change["after"] if op == "add" else change["before"]))
        other = change.get("from_list") if op == "add" else change.get("to_list")
        where = f" ({'from' if op == 'add' else 'to'} list {value_text(other)})" if other else ""
        return [("+" if op == "add" else "-", f"keyword {keyword}{where}")]
    if op in ("add", "remove"):
        sign, value = ("+", change["after"]) if op == "add" else ("-", change["before"])
        return [(sign, f"{path}:")] + attribute_lines(sign, value, indent="    ")
    if _is_text_change(change):
        lines: list[Line] = [("~", f"{path}:")]
        for sign, value in (("-", change["before"]), ("+", change["after"])):
            lines += [(sign, f"    {p}") for p in (pieces(value) if isinstance(value, str) else ["null"])]
        return lines
    return [("~", f"{path}: {value_text(change['before'])} -> {value_text(change['after'])}")]


SIGNS: dict[Kind, str] = {Kind.CREATE: "+", Kind.UPDATE: "~", Kind.REPLACE: "-/+", Kind.DELETE: "-"}
if set(SIGNS) != set(Kind):  # checked at import: every kind has its sign
    raise RuntimeError("the renderer has no sign for some kind of action")


def _review_lines(review: dict[str, Any]) -> list[Line]:
    """One message: SMS parts and encoding before -> after, rules broken (!) and fixed."""
    lines: list[Line] = [(" ", safe(f"sms {review['field']}: {review['sms']['summary']}"))]
    lines += [("!", safe(f"breaks {b['rule']} ({b['severity']}): {b['message']}")) for b in review["breaks"]]
    return lines + [(" ", safe(f"fixes {f['rule']}: {f['message']}")) for f in review["fixes"]]


def _owns(change: dict[str, Any], review: dict[str, Any]) -> bool:
    path, field = change["path"], review["field"]
    return field == path or field.startswith(path + ".")


def body_lines(action: Action) -> list[Line]:
    """Attributes for create/delete, changes for update/replace (each changed message followed by its
    review: parts, encoding, rules broken and fixed), then the action's notes."""
    reviews = list(action.review)
    lines: list[Line] = []
    if action.action in (Kind.UPDATE, Kind.REPLACE):
        for change in action.changes:
            lines += change_lines(change)
            mine = [r for r in reviews if _owns(change, r)]
            reviews = [r for r in reviews if r not in mine]
            lines += [line for review in mine for line in _review_lines(review)]
    else:
        shown = display(action.after if action.action is Kind.CREATE else action.before)
        lines = attribute_lines("+" if action.action is Kind.CREATE else "-", shown)
    lines += [line for review in reviews for line in _review_lines(review)]
    return lines + [(" ", f"note: {safe(note)}") for note in action.notes]


def headline(action: Action) -> str:
    notes: list[str] = [action.action.value]
    if action.destructive:
        notes.append("DESTRUCTIVE")
    if action.is_list_delete:
        notes.append(subscribers_text(action.subscribers))
    elif action.destructive:
        notes.append(f"stored values of {subscribers_text(action.subscribers)}")
    if action.reason:
        notes.append(action.reason)
    return safe(f"{SIGNS[action.action]} {action.address} ({'; '.join(notes)})")


def subscribers_text(count: Any) -> str:
    return f"{count:,} subscribers" if isinstance(count, int) else "subscriber count unknown"


def limit_lines(exceeded: list[dict[str, Any]]) -> list[str]:
    """A plan over its safety thresholds, said first and plainly."""
    if not exceeded:
        return []
    return [f"OVER THE SAFETY LIMITS: apply refuses this plan without --allow-bulk ({len(exceeded)} limit(s)):"] + [
        safe(f"  ! this plan {e['message']}") for e in exceeded
    ]
