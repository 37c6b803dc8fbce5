"""The Plan: an ordered list of actions, serializable without secrets."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

from deepdiff import DeepDiff

from tatango_iac import __version__
from tatango_iac.secrets import display

FORMAT_VERSION = "1"
ACTIONS = ("create", "update", "replace", "delete")
RESOURCES = ("list", "keywords", "opt_in_settings", "custom_field", "webhook")


def plain(value: Any) -> Any:
    """Drop str subclasses (Templated) so deepdiff compares values, not types."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _lookup(data: Any, path: list) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _dotted(path: list) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def field_changes(before: Optional[dict], after: Optional[dict]) -> list[dict[str, Any]]:
    """Changed leaf paths between two dicts, with display-safe values."""
    diff = DeepDiff(plain(before or {}), plain(after or {}), view="tree")
    shown_before, shown_after = display(before or {}), display(after or {})
    changes: dict[str, dict[str, Any]] = {}
    for report in diff.values():
        for level in report:
            path = level.path(output_format="list")
            changes[_dotted(path)] = {"path": _dotted(path), "before": _lookup(shown_before, path),
                                      "after": _lookup(shown_after, path)}
    return [changes[k] for k in sorted(changes)]


@dataclass
class Action:
    action: str
    resource: str
    address: str
    list_name: str
    before: Optional[dict[str, Any]] = None
    after: Optional[dict[str, Any]] = None
    destructive: bool = False
    reason: str = ""
    # Execution details (never serialized: may hold resolved secrets).
    list_id: Optional[int] = None
    target_id: Optional[int] = None
    payload: dict[str, Any] = field(default_factory=dict)
    subscribers: int = 0
    claims: frozenset[str] = frozenset()

    def changes(self) -> list[dict[str, Any]]:
        return field_changes(self.before, self.after)

    def to_json(self, index: int) -> dict[str, Any]:
        data = {
            "index": index,
            "action": self.action,
            "resource": self.resource,
            "address": self.address,
            "list": self.list_name,
            "destructive": self.destructive,
            "before": display(self.before),
            "after": display(self.after),
            "changes": self.changes() if self.action in ("update", "replace") else [],
        }
        if self.reason:
            data["reason"] = self.reason
        if self.resource == "list" and self.action == "delete":
            data["subscribers"] = self.subscribers
        return data


@dataclass
class Plan:
    actions: list[Action]
    unmanaged_lists: list[dict[str, Any]] = field(default_factory=list)
    config_paths: list[str] = field(default_factory=list)
    config_digest: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def summary(self) -> dict[str, Any]:
        counts = {name: sum(1 for a in self.actions if a.action == name) for name in ACTIONS}
        counts["destructive"] = sum(1 for a in self.actions if a.destructive)
        counts["changes"] = self.has_changes
        return counts

    def summary_line(self) -> str:
        if not self.actions:
            return "No changes. The account matches the configuration."
        s = self.summary()
        return (f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
                f"{s['delete']} to delete.")

    def drift(self) -> dict[str, Any]:
        """The same changes grouped the way a nightly drift report reads them."""
        changed, missing = [], []
        for action in self.actions:
            if action.resource == "list" and action.action == "create":
                missing.append({"list": action.list_name})
            elif action.list_id is not None and not (action.resource == "list" and action.action == "delete"
                                                     and action.reason.startswith("prune")):
                for change in (action.changes() if action.action in ("update", "replace") else [
                        {"path": "", "before": display(action.before), "after": display(action.after)}]):
                    changed.append({"address": action.address, "action": action.action,
                                    "attribute": change["path"], "live": change["before"],
                                    "desired": change["after"]})
        return {"changed_attributes": changed, "missing_lists": missing, "unmanaged_lists": self.unmanaged_lists}

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "tool_version": __version__,
            "config": {"paths": self.config_paths, "digest": self.config_digest},
            "targets": self.targets,
            "summary": self.summary(),
            "actions": [a.to_json(i + 1) for i, a in enumerate(self.actions)],
            "unmanaged_lists": self.unmanaged_lists,
            "drift": self.drift(),
            "warnings": self.warnings,
            "fingerprints": self.fingerprints,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)

    def comparable(self) -> list[dict[str, Any]]:
        """What must be identical between a saved plan and the one recomputed at apply time."""
        return [a.to_json(i + 1) for i, a in enumerate(self.actions)]
