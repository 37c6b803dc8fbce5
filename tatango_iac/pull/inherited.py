"""Pull and templates: a drifted value is written at the list, never into what other lists share.

A scalar field a list takes from a template or ``account.defaults`` is simply added to the
list's entry (its own value then wins). A collection (``webhooks``, ``custom_fields``,
``opt_in_requests``, ``keyword_names``) is taken whole, so the list gets its own copy: the
template's value as written (``${var.NAME}`` and ``${ENV}`` references kept), with the
live changes applied, written as one flow value under the list. The template, and every
other list that extends it, stay as they are.
"""

from __future__ import annotations

import copy
from typing import Any

from tatango_iac.model import DesiredList
from tatango_iac.pull.changes import Edit, EditKind
from tatango_iac.pull.scalars import Flow, inline
from tatango_iac.pull.templates import literal
from tatango_iac.pull.yamledit import Keep
from tatango_iac.secrets import Templated


def own_copies(d: DesiredList, edits: list[Edit]) -> tuple[list[Edit], list[str]]:
    """The edits with those inside an inherited collection replaced by one copy at the list; notes."""
    kept: list[Edit] = []
    grouped: dict[str, list[Edit]] = {}
    for edit in edits:
        name = edit.path[0]
        if name in d.origins and not (edit.kind is EditKind.SCALAR and len(edit.path) == 1):
            grouped.setdefault(name, []).append(edit)
        else:
            kept.append(edit)
    notes = []
    for name, group in grouped.items():
        origin = d.origins[name]
        value = _as_written(_at(origin.located.data, origin.path))
        # Item edits name positions of the value as written: change items first, then remove/append.
        for edit in sorted(group, key=lambda e: e.kind is EditKind.ITEMS):
            value = _apply(value, edit)
        kept.append(Edit(EditKind.SCALAR, (name,), value=Flow(_flow(value))))
        notes.append(
            f"{d.source.file}: list {d.name!r}: {name} came from {origin.label}: the list now has its own "
            f"copy with the live value; {origin.label} is unchanged"
        )
    return kept, notes


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _as_written(value: Any) -> Any:
    """Configuration text again: ${ENV} values as their template, literal text escaped."""
    if isinstance(value, dict):
        return {k: _as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    if isinstance(value, Templated):
        return value.template
    if isinstance(value, str) and not ("${list." in value or "${var." in value):
        return literal(value)
    return copy.copy(value)  # a string still holding ${list.*} is raw configuration text


def _apply(value: Any, edit: Edit) -> Any:
    if edit.kind is EditKind.SCALARS:
        return [value[item.index] if isinstance(item, Keep) else item for item in edit.items]
    if edit.kind is EditKind.ITEMS:
        return [v for i, v in enumerate(value) if i not in edit.removed] + list(edit.appended)
    target = value
    for part in edit.path[1:-1]:
        target = target[part]
    target[edit.path[-1]] = edit.value
    return value


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return inline(value)
