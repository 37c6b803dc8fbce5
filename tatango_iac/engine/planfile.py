"""The shape of a saved plan file: a file of the right version but the wrong shape (edited by
hand, truncated, from another tool) is "not a valid plan file", never an internal error later."""

from __future__ import annotations

from typing import Any

from tatango_iac.engine.kinds import POSSIBLE, REASONS, Kind, Resource

_ACTION_STRINGS = ("address", "list")
_OPTIONAL_STRINGS = ("reason", "payload_digest", "before_digest", "target_digest")


def _action_problem(index: int, action: Any) -> str | None:
    where = f"actions[{index}]"
    if not isinstance(action, dict):
        return f"{where} is not an object"
    kinds, resources = [k.value for k in Kind], [r.value for r in Resource]
    if action.get("action") not in kinds:
        return f"{where}.action is not one of {', '.join(kinds)}"
    if action.get("resource") not in resources:
        return f"{where}.resource is not one of {', '.join(resources)}"
    kind = Kind(action["action"])
    if (kind, Resource(action["resource"])) not in POSSIBLE:
        return f"{where} is not a possible action: {action['action']} {action['resource']}"
    if "reason_code" in action and action["reason_code"] not in [r.value for r in REASONS[kind]]:
        return f"{where}.reason_code is not a reason for {action['action']}"
    for name in _ACTION_STRINGS:
        if not isinstance(action.get(name), str):
            return f"{where}.{name} is not a string"
    for name in _OPTIONAL_STRINGS:
        if name in action and not isinstance(action[name], str):
            return f"{where}.{name} is not a string"
    if not isinstance(action.get("destructive", False), bool):
        return f"{where}.destructive is not true or false"
    for name in ("before", "after"):
        if action.get(name) is not None and not isinstance(action[name], dict):
            return f"{where}.{name} is not an object"
    changes = action.get("changes", [])
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        return f"{where}.changes is not a list of objects"
    if not isinstance(action.get("notes", []), list):
        return f"{where}.notes is not a list"
    return None


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def plan_shape_problem(saved: dict[str, Any]) -> str | None:
    """The first thing wrong with a saved plan's shape, or None."""
    config = saved.get("config")
    if (
        not isinstance(config, dict)
        or not _string_list(config.get("paths", []))
        or not isinstance(config.get("digest", ""), str)
    ):
        return "config is not an object with paths (strings) and a digest"
    actions = saved.get("actions")
    if not isinstance(actions, list):
        return "actions is not a list"
    for index, action in enumerate(actions):
        problem = _action_problem(index, action)
        if problem:
            return problem
    blocked = saved.get("blocked", [])
    if not isinstance(blocked, list) or not all(isinstance(b, dict) and "address" in b for b in blocked):
        return "blocked is not a list of objects with an address"
    prints = saved.get("fingerprints", {})
    if not isinstance(prints, dict) or not all(isinstance(v, str) for v in prints.values()):
        return "fingerprints is not an object of strings"
    if not _string_list(saved.get("targets", [])):
        return "targets is not a list of strings"
    scope = saved.get("scope")
    if scope is not None and not (
        isinstance(scope, dict)
        and scope.get("kind") in ("all", "target", "changed_since")
        and _string_list(scope.get("lists", []))
        and _string_list(scope.get("removed", []))
        and isinstance(scope.get("ref") or "", str)
    ):
        return "scope is not an object with a kind of all, target or changed_since and lists of names"
    base = (scope or {}).get("protected_at_ref")
    if base is not None and not (
        isinstance(base, dict) and _string_list(base.get("lists", [])) and _string_list(base.get("patterns", []))
    ):
        return "scope.protected_at_ref is not an object with lists and patterns (strings)"
    if not _history_ok((scope or {}).get("history", [])):
        return "scope.history is not a list of objects with an id (integer), name, memory and reason"
    for name in ("unmanaged_lists", "notes", "warnings"):
        if not isinstance(saved.get(name, []), list):
            return f"{name} is not a list"
    return None


def _history_ok(history: Any) -> bool:
    """What the git history said of the plan's deletes (config.history): read back into Scope on apply."""
    memories = {"protected", "unknown"}
    return isinstance(history, list) and all(
        isinstance(r, dict)
        and isinstance(r.get("id"), int)
        and not isinstance(r.get("id"), bool)
        and isinstance(r.get("name"), str)
        and r.get("memory") in memories
        and isinstance(r.get("reason"), str)
        and isinstance(r.get("protected_by", ""), str)
        for r in history
    )
