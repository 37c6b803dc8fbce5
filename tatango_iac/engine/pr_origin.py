"""Whose change is it: the pull request's edit, or a revert of a change made outside tatango-iac.

Pure. A plan made with ``--changed-since REF`` knows each list's fields at REF (``Scope.base_fields``,
read from git by config.changed). For each attribute a planned action changes:

* ``pull_request``: the configured value at REF differs from the value now (or the list is new or
  removed since REF): the pull request asks for it;
* ``outside``: the configured value at REF equals the value now, yet the account differs: someone
  changed it outside the tool (the web UI), and applying this pull request would revert that.

An attribute this module cannot map to a configured field counts as ``outside`` only when the
list's whole definition is the same at REF; otherwise as the pull request's (it edited this list).
An action's own ``origin`` is ``outside`` only when every one of its changes is.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any, Iterable, Mapping, Optional

from tatango_iac.engine.plan import Action, Plan
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, DesiredList


class Origin(str, enum.Enum):
    PULL_REQUEST = "pull_request"
    OUTSIDE = "outside"

    def __str__(self) -> str:
        return self.value


OUTSIDE_TITLE = "Changed outside tatango-iac: this PR would revert them"
# Actions on a list's children: the collection is one configured field of the list.
_COLLECTION = {"custom_field": "custom_fields", "webhook": "webhooks", "keywords": "keyword_names"}
_ALIASES = {"keywords": "keyword_names"}
_TOP = re.compile(r"[.\[]")


def _field(action: Action, path: str) -> str:
    collection = _COLLECTION.get(str(action.resource))
    if collection is not None:
        return collection
    name = _TOP.split(path, maxsplit=1)[0]
    return _ALIASES.get(name, name)


def _now_fields(d: DesiredList) -> dict[str, str]:
    return {name: json.dumps(value, sort_keys=True, default=str) for name, value in d.definition.items()}


def _origin(field: str, base: Optional[Mapping[str, str]], now: Mapping[str, str]) -> Origin:
    if base is None:
        return Origin.PULL_REQUEST  # the list is new since the ref
    if field in base or field in now:
        return Origin.OUTSIDE if base.get(field) == now.get(field) else Origin.PULL_REQUEST
    return Origin.OUTSIDE if dict(base) == dict(now) else Origin.PULL_REQUEST


def mark(actions: Iterable[Action], desired: DesiredAccount, scope: Scope) -> None:
    """Set ``origin`` on each action and each of its changes; nothing when the plan is not a PR plan."""
    if scope.base_fields is None:
        return
    lists = desired.by_key()
    for action in actions:
        d = lists.get(action.list_key)
        if d is None:  # a delete: of a list the pull request removed, or one that is in no file at all
            action.origin = str(Origin.PULL_REQUEST if action.list_name in scope.removed else Origin.OUTSIDE)
            continue
        base, now = scope.base_fields.get(d.key), _now_fields(d)
        kinds = []
        for change in action.changes:
            change["origin"] = str(_origin(_field(action, str(change.get("path", ""))), base, now))
            kinds.append(change["origin"])
        if not kinds:  # a create or delete of the whole object: whose is it as a whole
            whole = _COLLECTION.get(str(action.resource))
            kinds = [
                str(
                    _origin(whole, base, now)
                    if whole
                    else (Origin.OUTSIDE if base is not None and dict(base) == now else Origin.PULL_REQUEST)
                )
            ]
        action.origin = str(Origin.OUTSIDE if all(k == Origin.OUTSIDE for k in kinds) else Origin.PULL_REQUEST)


def outside_changes(plan: Plan) -> list[dict[str, Any]]:
    """The attributes this plan would revert (display-safe: the values are the plan's masked ones)."""
    out: list[dict[str, Any]] = []
    for index, action in enumerate(plan.actions, 1):
        changes = [c for c in action.changes if c.get("origin") == Origin.OUTSIDE]
        if not action.changes and action.origin == Origin.OUTSIDE:
            changes = [{"path": "", "before": action.display_before(), "after": action.display_after()}]
        out += [
            {
                "action": index,
                "address": action.address,
                "list": action.list_name,
                "kind": str(action.action),
                "attribute": c.get("path", ""),
                "live": c.get("before"),
                "desired": c.get("after"),
            }
            for c in changes
        ]
    return out


def summary(plan: Plan) -> Optional[dict[str, Any]]:
    """The plan's top-level ``pr_origin`` key: None when the plan is not a PR plan."""
    if not any(a.origin for a in plan.actions) and plan.scope.get("kind") != "changed_since":
        return None
    outside = outside_changes(plan)
    return {
        "ref": plan.scope.get("ref"),
        "outside": len(outside),
        "pull_request": sum(
            1
            for a in plan.actions
            for c in a.changes or [{"origin": a.origin}]
            if c.get("origin") == Origin.PULL_REQUEST
        ),
        "outside_changes": outside,
    }
