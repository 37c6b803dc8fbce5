"""apply --expect: does the plan made now mean what was reviewed? (§9, §12)

The reviewed plan comes from the pull request's artifact; the fresh one is made at apply
time from one read of the account. They are compared by meaning, action by action: kind,
resource, address, destructive, and keyed digests of what will be sent, of the live values
it replaces and of the ids it acts on (digests.py). Never by rendered text: the display
masks tokens and shows ``${...}`` as templates (a changed secret must be noticed), and a
new tool version may word things differently (it must not be refused for that alone).

Three verdicts besides a mismatch:
- the same actions: apply them;
- a tail of the reviewed actions, in order (an earlier apply stopped part-way; the fresh
  read shows the rest is in the account): apply exactly that rest;
- nothing left: the reviewed change is already in the account (a re-run job): exit 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from tatango_iac import __version__
from tatango_iac.engine.plan import Action, Plan
from tatango_iac.errors import TatangoIacError

NEXT_STEP = (
    "Next step: make a fresh plan in the pull request (push to it, or re-run its plan job), review it, "
    "then re-run this apply; or change the configuration in a new pull request."
)


class Verdict(enum.Enum):
    SAME = "the reviewed plan"
    REST = "the rest of the reviewed plan"
    ALREADY_APPLIED = "already applied"


@dataclass
class ReviewCheck:
    verdict: Verdict
    done: list[str] = field(default_factory=list)  # addresses of reviewed actions found in the account


class ReviewMismatch(TatangoIacError):
    """A fresh plan does not mean what the reviewed one meant (apply --expect)."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))

    def user_message(self) -> str:
        return "refusing to apply (nothing was changed): " + "\n".join(self.lines)


def _same(reviewed: dict[str, Any], fresh: Action) -> bool:
    if (
        reviewed.get("action"),
        reviewed.get("resource"),
        reviewed.get("address"),
        bool(reviewed.get("destructive")),
    ) != (fresh.action, fresh.resource, fresh.address, fresh.destructive):
        return False
    if reviewed.get("payload_digest") != fresh.payload_digest:
        return False
    if not reviewed.get("target_digest"):  # made by the reviewed plan itself: ids and live values came later
        return True
    return reviewed.get("target_digest") == fresh.target_digest and reviewed.get("before_digest") == fresh.before_digest


def _what_differs(reviewed: dict[str, Any], fresh: Action) -> str:
    """Name the attribute(s) that differ, from the display-safe changes both plans carry."""
    where = f"{fresh.action} {fresh.address}"
    if reviewed.get("destructive") != fresh.destructive:
        return f"{where}: destructive in one plan and not in the other"
    old = {c.get("path"): c for c in reviewed.get("changes") or []}
    new = {c.get("path"): c for c in fresh.changes}
    paths = sorted({str(p) for p in set(old) | set(new) if old.get(p) != new.get(p)})
    if reviewed.get("payload_digest") != fresh.payload_digest:
        named = ", ".join(str(p) for p in paths) if paths else None
        if named:
            return f"{where}: the value to send for {named} differs from the reviewed one"
        return (
            f"{where}: a value the plan masks (a token or ${{...}} value) would be sent differently from the "
            f"reviewed one"
        )
    if reviewed.get("target_digest") != fresh.target_digest:
        return f"{where}: it now acts on a different object (its id changed since the review)"
    if not paths:
        return f"{where}: a live value it replaces changed in the account since the review (it would be overwritten)"
    named = ", ".join(str(p) for p in paths)
    return f"{where}: the live value of {named} changed in the account since the review (it would be overwritten)"


def _blocked(plan_blocked: list[dict[str, Any]]) -> list[str]:
    return sorted(str(b.get("address")) for b in plan_blocked)


def compare(fresh: Plan, reviewed: dict[str, Any]) -> ReviewCheck:
    """The verdict, or ReviewMismatch naming each difference, the lists concerned and the next step."""
    reviewed_account = (reviewed.get("account") or {}).get("name")
    if reviewed_account != fresh.account.get("name"):
        raise ReviewMismatch(
            [
                f"the reviewed plan is for account {reviewed_account or '(unnamed)'}, this configuration "
                f"is for account {fresh.account.get('name') or '(unnamed)'}: nothing was changed"
            ]
        )
    old: list[dict[str, Any]] = list(reviewed.get("actions") or [])
    problems: list[str] = []
    if _blocked(fresh.blocked) != _blocked(reviewed.get("blocked") or []):
        problems.append("blocked changes differ from the reviewed plan's")
    # The fresh actions must be the reviewed ones, in the reviewed order, some possibly done already.
    position, done, concerned = 0, [], set()
    for action in fresh.actions:
        index = next((i for i in range(position, len(old)) if _same(old[i], action)), None)
        if index is None:
            concerned.add(action.list_name)
            twin = next(
                (r for r in old if r.get("address") == action.address and r.get("action") == action.action), None
            )
            problems.append(
                f"  {_what_differs(twin, action)}"
                if twin is not None
                else f"  only in the plan made now: {action.action} {action.address}"
            )
            continue
        done += [str(r.get("address")) for r in old[position:index]]
        position = index + 1
    if problems:
        addresses = {a.address for a in fresh.actions}
        # Reviewed actions the fresh read found done are listed only to explain the mismatch.
        problems += [
            f"  only in the reviewed plan (the account has it already): {r.get('action')} {r.get('address')}"
            for r in old
            if r.get("address") not in addresses
        ]
        raise ReviewMismatch(_mismatch_lines(problems, sorted(concerned), reviewed))
    done += [str(r.get("address")) for r in old[position:]]
    if not fresh.actions and old:
        return ReviewCheck(Verdict.ALREADY_APPLIED, done)
    return ReviewCheck(Verdict.REST if done else Verdict.SAME, done)


def _mismatch_lines(problems: list[str], lists: list[str], reviewed: dict[str, Any]) -> list[str]:
    headline = (
        "the plan made now differs from the reviewed plan (something changed in the account, or in the "
        "configuration, after the review):"
    )
    lines = [headline, *problems]
    if lists:
        lines.append("  list(s) that differ: " + ", ".join(f'"{name}"' for name in lists))
    version = reviewed.get("tool_version")
    if version and version != __version__:
        lines.append(
            f"  the reviewed plan was made by tatango-iac {version}; this is {__version__} (the comparison "
            "is by meaning, so this alone does not refuse it)"
        )
    lines.append(NEXT_STEP)
    return lines


def needs_digests(reviewed: dict[str, Any]) -> str | None:
    """A reviewed plan without digests (an older tool) cannot be compared by what it sends."""
    if any(not a.get("payload_digest") for a in reviewed.get("actions") or []):
        version = reviewed.get("tool_version", "an older version")
        return (
            f"the reviewed plan was made by tatango-iac {version}, which does not record what it would send; "
            "make the plan again with this version"
        )
    return None
