"""The closed loop's pure half (§13): what the read-back after an apply costs, and what it found.

The answer to a write is not proof. After the last write, apply re-reads what it touched
and plans again with the planner's own comparison (``apply.readback`` does the I/O).
This module, with no I/O, says

- which lists the re-read covers and how many calls it costs (``readback_calls``: the
  plan states it, and forecasts can add it), and
- what a fresh plan made from the re-read means for each action that was applied: not
  visible yet (the account still shows what the plan saw before the write: wait and
  read again), held differently (the API accepted a value it does not hold), stored in
  another form (the same value as the planner compares it), or still there (a delete
  that a read still finds).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from tatango_iac.engine.forecast import index_pages
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.identity.scope import Scope
from tatango_iac.model import DesiredAccount, DesiredList, LiveAccount, LiveList, known


class Kind(enum.Enum):
    NOT_VISIBLE = "not visible"  # the re-read still shows what the plan saw before the write
    STILL_THERE = "still there"  # a delete whose object a read still finds
    HELD = "held differently"  # the API accepted a value but holds another one
    STORED_AS = "stored as"  # the API holds the value in another form (the planner sees no change)
    UNPLANNED = "unplanned"  # the re-read differs where this apply wrote nothing


WAITING = (Kind.NOT_VISIBLE, Kind.STILL_THERE)


@dataclass(frozen=True)
class Finding:
    kind: Kind
    address: str
    attribute: str = ""
    sent: Any = None
    held: Any = None
    # Inside a collection (opt_in_requests): the leaves that differ, (path, sent, held), from the planner's changes.
    leaves: tuple[tuple[str, Any, Any], ...] = ()

    def line(self, waited: float) -> str:
        after = f" (re-read for {waited:.0f} s)" if waited else ""
        if self.kind is Kind.NOT_VISIBLE:
            return f"{self.address}: the write is not visible in the re-read{after}"
        if self.kind is Kind.STILL_THERE:
            return f"{self.address}: the API answered the delete, but a re-read still finds it{after}"
        if self.kind is Kind.STORED_AS:
            return (
                f"{self.address}: the API stored {self.attribute} {_shown(self.sent)} as {_shown(self.held)}; "
                f"write {_shown(self.held)} in the configuration, or report it with `tatango-iac doctor --record`"
            )
        if self.kind is Kind.UNPLANNED:
            return (
                f"{self.address}: after the apply the account differs from the configuration in "
                f"{self.attribute or 'this object'} (this apply did not write it): holds {_shown(self.held)}, "
                f"configured {_shown(self.sent)}"
            )
        if self.leaves:  # the leaf that differs first, not a whole collection cut before it
            path, sent, held = self.leaves[0]
            more = len(self.leaves) - 1
            rest = f" (and {more} more difference(s) in {self.attribute})" if more else ""
            return (
                f"{self.address}: the API accepted {self.attribute} but holds it otherwise: "
                f"{path}: sent {_shown(sent)}, held {_shown(held)}{rest}"
            )
        return (
            f"{self.address}: the API accepted {self.attribute} but holds {_shown(self.held)} "
            f"(sent {_shown(self.sent)})"
        )


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."


# ------------------------------------------------------------------ cost


def missing_managed(d: DesiredList, lst: LiveList) -> list[str]:
    """Managed list fields the index's item left out: read from the list's own endpoint."""
    missing = [name for name in d.fields if not known(lst.fields.get(name))]
    if d.manages_opt_in:
        missing += [
            name
            for name, value in (("opt_in_type", lst.opt_in_type), ("opt_in_requests", lst.opt_in_requests))
            if not known(value)
        ]
    return missing


def touched_lists(desired: DesiredAccount, actions: Iterable[Action]) -> list[DesiredList]:
    keys = {a.list_key for a in actions if a.list_key}
    return [d for d in desired.lists if d.key in keys and not d.delete]


def readback_scope(lists: list[DesiredList]) -> Scope:
    return Scope("target", frozenset(d.name for d in lists))


def readback_info(desired: DesiredAccount, live: LiveAccount, actions: list[Action]) -> dict[str, Any]:
    """What the read-back after these actions reads, and its cost in calls (stated in the plan)."""
    if not actions:
        return {"calls": 0, "index_pages": 0, "object_reads": 0, "child_reads": 0, "lists": []}
    lists = touched_lists(desired, actions)
    creates = sum(1 for a in actions if a.resource == "list" and a.action == "create")
    deletes = sum(1 for a in actions if a.is_list_delete)
    pages = index_pages(len(live.lists) + creates - deletes)
    by_name: dict[str, list[LiveList]] = {}
    for lst in live.lists:
        by_name.setdefault(lst.name, []).append(lst)
    # Lists the index leaves fields out of are read again one by one (as the plan read them).
    objects = sum(1 for d in lists for lst in by_name.get(d.name, []) if missing_managed(d, lst))
    children = sum((d.webhooks is not None) + (d.custom_fields is not None) for d in lists)
    return {
        "calls": pages + objects + children,
        "index_pages": pages,
        "object_reads": objects,
        "child_reads": children,
        "lists": sorted({d.name for d in lists}),
    }


def readback_calls(plan: Plan) -> int:
    """API calls the read-back after applying this plan makes at least (0 with --no-verify)."""
    return int(plan.readback.get("calls", 0))


# --------------------------------------------------------------- compare


def _top(path: str) -> str:
    return path.split("[", 1)[0].split(".", 1)[0]


def _value(data: Optional[dict[str, Any]], key: str) -> Any:
    return (data or {}).get(key)


def _keyed(actions: Iterable[Action]) -> dict[str, list[Action]]:
    out: dict[str, list[Action]] = {}
    for action in actions:
        out.setdefault(action.address, []).append(action)
    return out


def _not_visible(fresh: Action, originals: list[Action]) -> bool:
    """The re-read still shows what the plan saw before the write (so the same step is planned again)."""
    for old in originals:
        if old.action == fresh.action and old.resource == fresh.resource:
            keys = {_top(c["path"]) for c in fresh.changes} or set(fresh.before or {})
            if all(_value(old.to_json(0)["before"], k) == _value(fresh.to_json(0)["before"], k) for k in keys):
                return True
    return False


def _leaves(fresh: Action, key: str) -> tuple[tuple[str, Any, Any], ...]:
    """The changed leaves inside a collection (not an item added or removed: that has no single leaf)."""
    return tuple(
        (str(c["path"]), c.get("after"), c.get("before"))
        for c in fresh.changes
        if _top(str(c["path"])) == key and c["path"] != key and "op" not in c
    )


def _held(fresh: Action, originals: list[Action]) -> list[Finding]:
    sent_by_key: dict[str, Any] = {}
    for old in originals:
        for key, value in (old.to_json(0)["after"] or {}).items():
            sent_by_key[key] = value
    shown = fresh.to_json(0)
    if not fresh.changes:
        return [Finding(Kind.HELD, fresh.address, fresh.resource, shown["after"], shown["before"])]
    findings, seen = [], set()
    for change in fresh.changes:
        key = _top(change["path"])
        if key in seen:
            continue
        seen.add(key)
        if key in ("keyword_names", "opt_in_requests"):  # collections: the whole value says it best
            findings.append(
                Finding(
                    Kind.HELD,
                    fresh.address,
                    key,
                    sent_by_key.get(key, _value(shown["after"], key)),
                    _value(shown["before"], key),
                    _leaves(fresh, key),
                )
            )
        else:
            findings.append(Finding(Kind.HELD, fresh.address, change["path"], change["after"], change["before"]))
    return findings


def compare(applied: list[Action], fresh: Plan, live_ids: set[int]) -> list[Finding]:
    """What a plan made from the re-read says about the applied actions."""
    originals = _keyed(applied)
    findings: list[Finding] = []
    for action in fresh.actions:
        olds = originals.get(action.address)
        if not olds:
            shown = action.to_json(0)
            findings.append(Finding(Kind.UNPLANNED, action.address, action.resource, shown["after"], shown["before"]))
        elif _not_visible(action, olds):
            kind = Kind.STILL_THERE if action.action == "delete" else Kind.NOT_VISIBLE
            findings.append(Finding(kind, action.address))
        else:
            findings += _held(action, olds)
    planned_again = {f.address for f in findings}
    for action in applied:  # a list delete (prune's too) is done only when the index no longer has it
        if action.is_list_delete and action.list_id in live_ids and action.address not in planned_again:
            findings.append(Finding(Kind.STILL_THERE, action.address))
    touched = set(originals)
    for form in fresh.stored_forms:
        # A form the forms record already holds was reported by an earlier apply: known, not a finding again.
        if form["address"] in touched and form.get("source") != "record":
            findings.append(
                Finding(Kind.STORED_AS, form["address"], form["attribute"], form["configured"], form["held"])
            )
    for blocked in fresh.blocked:
        findings.append(Finding(Kind.UNPLANNED, blocked["address"], "keyword_names", None, blocked["message"]))
    return findings
