"""What changed, said the way a reviewer reads it (pure; display-safe values only).

- attributes: one entry per changed leaf (deepdiff), ``{"path", "before", "after"}``;
- keywords are a set: ``{"op": "add", "after": "BARGAIN", "from_list": ...}`` and
  ``{"op": "remove", "before": "SALE", "to_list": ...}``, never a positional diff;
- opt-in requests are an ordered list: a request inserted or removed in the middle is
  that (``op`` add/remove at its index), and only requests that stand in the same
  place show field changes.
"""

from __future__ import annotations

import difflib
import json
from typing import Any, Iterable, Mapping, Optional

from deepdiff import DeepDiff

from tatango_iac.secrets import display


def plain(value: Any) -> Any:
    """Drop str subclasses (Templated) so deepdiff compares values, not types."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _lookup(data: Any, path: list) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def dotted(path: Iterable) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def field_changes(before: Optional[dict], after: Optional[dict], prefix: str = "") -> list[dict[str, Any]]:
    """Changed leaf paths between two dicts, with display-safe values."""
    diff = DeepDiff(plain(before or {}), plain(after or {}), view="tree")
    shown_before, shown_after = display(before or {}), display(after or {})
    changes: dict[str, dict[str, Any]] = {}
    for report in diff.values():
        for level in report:
            path = level.path(output_format="list")
            name = dotted(path)
            full = f"{prefix}.{name}" if prefix and name else (prefix or name)
            changes[full] = {"path": full, "before": _lookup(shown_before, path), "after": _lookup(shown_after, path)}
    return [changes[k] for k in sorted(changes)]


def keyword_changes(
    before: Iterable[str], after: Iterable[str], moved_from: Mapping[str, str], moved_to: Mapping[str, str]
) -> list[dict[str, Any]]:
    old, new = set(before), set(after)
    changes: list[dict[str, Any]] = []
    for keyword in sorted(new - old, key=str):
        change = {"path": "keyword_names", "op": "add", "before": None, "after": display(keyword)}
        if keyword in moved_from:
            change["from_list"] = moved_from[keyword]
        changes.append(change)
    for keyword in sorted(old - new, key=str):
        change = {"path": "keyword_names", "op": "remove", "before": display(keyword), "after": None}
        if keyword in moved_to:
            change["to_list"] = moved_to[keyword]
        changes.append(change)
    return changes


def _identity(request: dict[str, Any]) -> str:
    return json.dumps(plain(request), sort_keys=True)


def request_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An ordered diff of opt-in requests: inserts and removals at their index, field changes in place."""
    matcher = difflib.SequenceMatcher(
        None, [_identity(r) for r in before], [_identity(r) for r in after], autojunk=False
    )
    changes: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            changes += field_changes(before[i1 + k], after[j1 + k], prefix=f"opt_in_requests[{j1 + k}]")
        for i in range(i1 + paired, i2):
            changes.append(
                {"path": f"opt_in_requests[{i}]", "op": "remove", "before": display(before[i]), "after": None}
            )
        for j in range(j1 + paired, j2):
            changes.append({"path": f"opt_in_requests[{j}]", "op": "add", "before": None, "after": display(after[j])})
    return changes
