"""The Plan: an ordered list of actions, serializable without secrets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from tatango_iac import __version__
from tatango_iac.digests import DigestKey
from tatango_iac.engine.kinds import POSSIBLE, REASONS, Kind, Reason, Resource
from tatango_iac.secrets import display

if TYPE_CHECKING:
    from tatango_iac.engine.forecast import Forecast

# Bumped when a plan file of the previous version cannot be read as this one (README: "format_version").
# 2: every action carries its reason_code (apply --plan/--expect rely on it).
FORMAT_VERSION = "2"


@dataclass
class Action:
    action: Kind
    resource: Resource
    address: str
    list_name: str  # the list's name as it may be shown (a ${...} name shows its template)
    before: Optional[dict[str, Any]] = None
    after: Optional[dict[str, Any]] = None
    destructive: bool = False
    reason: str = ""  # prose for people; programs read reason_code
    reason_code: Optional[Reason] = None  # None: the kind's plain reason (kinds.REASONS)
    changes: list[dict[str, Any]] = field(default_factory=list)  # display-safe, computed by the planner
    notes: list[str] = field(default_factory=list)
    # What the change does to the messages it writes (compliance.review): display-safe, shown by the renderers
    # and under the plan's "compliance" key, but not part of the action's own JSON (a reviewed plan's actions
    # compare the same whatever the rule set of the tool that made it).
    review: list[dict[str, Any]] = field(default_factory=list)
    # Keyed digests (digests.py) of what will be sent and of the live values it replaces: what a
    # reviewed plan is compared by, since the display masks tokens and shows ${...} as templates.
    payload_digest: str = ""
    before_digest: str = ""
    target_digest: str = ""  # "" when the object does not exist yet (created by this plan)
    # Execution details (never serialized: may hold resolved secrets).
    list_key: str = ""  # the configuration entry (unique even when names repeat)
    list_id: Optional[int] = None
    target_id: Optional[int] = None
    payload: dict[str, Any] = field(default_factory=dict)
    subscribers: Optional[int] = None  # destructive: the people whose data goes (None: unknown)
    conversations: Optional[int] = None  # a message change: the subscribers whose conversation changes
    changes_conversations: bool = False
    claims: frozenset[str] = frozenset()
    # Fields taken from a template or account.defaults -> 'template "store"' (engine.provenance).
    origins: dict[str, str] = field(default_factory=dict)
    # A PR plan (--changed-since): "pull_request" or "outside" (engine.pr_origin); "" otherwise.
    origin: str = ""

    def __post_init__(self) -> None:
        # Words (from a saved plan, or a caller) become the enums; an unknown word or combination is refused.
        self.action, self.resource = Kind(self.action), Resource(self.resource)
        if (self.action, self.resource) not in POSSIBLE:
            raise ValueError(f"no such action: {self.action} {self.resource}")
        self.reason_code = REASONS[self.action][0] if self.reason_code is None else Reason(self.reason_code)
        if self.reason_code not in REASONS[self.action]:
            raise ValueError(f"reason {self.reason_code} does not go with {self.action}")

    @property
    def code(self) -> Reason:
        assert self.reason_code is not None  # set in __post_init__
        return self.reason_code

    def seal(self, key: DigestKey) -> None:
        """Digest what will be sent, what it replaces, and the ids it acts on (a delete sends nothing else).

        The ids are left out for an object this plan creates: they exist only once it is applied, and
        a re-run after a part-way apply must still recognise the rest of the reviewed plan."""
        self.payload_digest = key.digest({"resource": self.resource, "action": self.action, "payload": self.payload})
        # What it overwrites or removes; a subscriber count is not overwritten (people join all the time).
        replaced = {k: v for k, v in self.before.items() if k != "subscribers"} if self.before else self.before
        self.before_digest = key.digest(replaced)
        self.target_digest = key.digest([self.list_id, self.target_id]) if self.list_id is not None else ""

    def display_before(self) -> Any:
        return display(self.before)

    def display_after(self) -> Any:
        return display(self.after)

    @property
    def is_list_delete(self) -> bool:
        return self.resource is Resource.LIST and self.action is Kind.DELETE

    def to_json(self, index: int) -> dict[str, Any]:
        data = {
            "index": index,
            "action": self.action,
            "resource": self.resource,
            "address": self.address,
            "list": self.list_name,
            "destructive": self.destructive,
            "reason_code": str(self.code),
            "before": display(self.before),
            "after": display(self.after),
            "changes": self.changes,
        }
        if self.payload_digest:
            data["payload_digest"] = self.payload_digest
            data["before_digest"] = self.before_digest
            data["target_digest"] = self.target_digest
        if self.reason:
            data["reason"] = self.reason
        if self.notes:
            data["notes"] = list(self.notes)
        if self.destructive:
            data["subscribers"] = self.subscribers
        if self.origins:
            data["from"] = dict(self.origins)
        if self.origin:
            data["origin"] = self.origin
        if self.changes_conversations:
            data["conversations"] = self.conversations
        return data


@dataclass
class Plan:
    actions: list[Action]
    unmanaged_lists: list[dict[str, Any]] = field(default_factory=list)
    # Changes that cannot be planned without a decision (a keyword held by a list no file manages).
    blocked: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the API does not report, disabled webhooks...
    disabled_webhooks: list[dict[str, Any]] = field(default_factory=list)
    config_paths: list[str] = field(default_factory=list)
    config_files: list[str] = field(default_factory=list)
    config_digest: str = ""
    config_file_digests: dict[str, str] = field(default_factory=dict)  # keyed: which file made a plan stale
    fingerprints: dict[str, str] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    scope: dict[str, Any] = field(default_factory=lambda: {"kind": "all"})
    warnings: list[str] = field(default_factory=list)
    # The read-back after apply (§13): the lists it covers and its cost in calls (engine.recheck).
    readback: dict[str, Any] = field(default_factory=dict)
    # Values the account holds in another form than configured (engine.forms): no action, a note.
    stored_forms: list[dict[str, Any]] = field(default_factory=list)
    # Made with --forms-record: {"path", "entries", "digest"} (engine.records.RecordedForms.summary); {} without.
    forms_record: dict[str, Any] = field(default_factory=dict)
    # The account the plan read: {"name": account.name or None, "api": the API's host}.
    account: dict[str, Any] = field(default_factory=dict)
    # The verdict of engine.safety: {"limits", "measured", "exceeded": [...]}; saved plans carry it.
    safety: dict[str, Any] = field(default_factory=dict)
    # engine.ignoring: {"count", "patterns", "excluded"}: the lists account.ignore and --exclude left out.
    ignored: dict[str, Any] = field(default_factory=dict)
    forecast: Optional["Forecast"] = None  # what applying it costs (set once the read's cost is known)
    coverage: Optional[dict[str, Any]] = None  # budgeted drift: whose children were checked tonight
    # What the plan saw, for the applier's check against concurrent applies (never serialized).
    live_list_ids: set[str] = field(default_factory=set, repr=False)
    live_webhook_ids: dict[int, set[str]] = field(default_factory=dict, repr=False)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions) or bool(self.blocked)

    @property
    def over_limit(self) -> list[dict[str, Any]]:
        """The thresholds this plan exceeds (apply needs --allow-bulk)."""
        return list(self.safety.get("exceeded") or [])

    def summary(self) -> dict[str, Any]:
        from tatango_iac.engine.safety import reach_summary  # safety builds on Action

        counts: dict[str, Any] = {kind.value: sum(1 for a in self.actions if a.action is kind) for kind in Kind}
        counts["destructive"] = sum(1 for a in self.actions if a.destructive)
        counts["blocked"] = len(self.blocked)
        counts["changes"] = self.has_changes
        counts.update(reach_summary(self.actions))
        counts["over_limit"] = bool(self.over_limit)
        return counts

    def account_line(self) -> str:
        """Which account the plan read, for a reviewer of a repository that holds several."""
        if not self.account:
            return ""
        name = self.account.get("name")
        return (
            f"Account: {name} (read at {self.account.get('api')})"
            if name
            else (f"Account: unnamed, no account.name (read at {self.account.get('api')})")
        )

    def summary_line(self) -> str:
        from tatango_iac.engine.safety import people

        if not self.has_changes:
            return self.no_changes_line()
        s = self.summary()
        line = (
            f"Plan: {s['create']} to create, {s['update']} to update, {s['replace']} to replace, "
            f"{s['delete']} to delete."
        )
        if s["destructive"]:
            line += (
                f" {s['destructive']} destructive, affects "
                f"{people(s['subscribers_affected'], s['subscribers_unknown'])}."
            )
        return line + (f" {s['blocked']} blocked (see above)." if s["blocked"] else "")

    def no_changes_line(self) -> str:
        """A scoped plan compared only part of the account: it says which part, never that all matches."""
        kind = self.scope.get("kind", "all")
        if kind == "all":
            # A list the configuration does not manage (protected, refused, ignored) is not "matching".
            left = len(self.unmanaged_lists)
            if left:
                return f"No changes. {left} list{'' if left == 1 else 's'} in the account not in the configuration (see above)."
            return "No changes. The account matches the configuration."
        count = len(self.scope.get("lists") or [])
        lists = f"{count} list{'' if count == 1 else 's'}"
        where = "this pull request touches" if kind == "changed_since" else "targeted"
        return f"No changes in the {lists} {where}."

    def compliance(self) -> dict[str, Any]:
        """Every reviewed message, with the action it belongs to; counts of rules broken and fixed."""
        messages = [
            {"action": i + 1, "address": a.address, "list": a.list_name, **review}
            for i, a in enumerate(self.actions)
            for review in a.review
        ]
        return {
            "breaks": sum(len(m["breaks"]) for m in messages),
            "fixes": sum(len(m["fixes"]) for m in messages),
            "messages": messages,
        }

    def drift(self) -> dict[str, Any]:
        """The same changes grouped the way a nightly drift report reads them."""
        changed, missing = [], []
        for action in self.actions:
            if action.resource is Resource.LIST and action.action is Kind.CREATE:
                missing.append({"list": action.list_name})
            elif action.list_id is not None and action.code is not Reason.DELETE_BECAUSE_PRUNED:
                for change in action.changes or [
                    {"path": "", "before": display(action.before), "after": display(action.after)}
                ]:
                    item = {
                        "address": action.address,
                        "list": action.list_name,
                        "action": action.action,
                        "attribute": change["path"],
                        "live": change["before"],
                        "desired": change["after"],
                    }
                    # A set or ordered-list member (a keyword, an opt-in request) says which side has it.
                    item.update({k: change[k] for k in ("op", "from_list", "to_list") if k in change})
                    changed.append(item)
        for blocked in self.blocked:
            if blocked.get("missing"):
                missing.append(
                    {
                        "list": blocked["list"],
                        **({"probably_renamed_to": blocked["holder"]} if blocked.get("probably_renamed") else {}),
                    }
                )
        return {
            "changed_attributes": changed,
            "missing_lists": missing,
            "unmanaged_lists": self.unmanaged_lists,
            "blocked": self.blocked,
            "disabled_webhooks": self.disabled_webhooks,
            "in_sync": not (changed or missing or self.unmanaged_lists or self.blocked or self.disabled_webhooks),
            "lists": drifted_lists(changed, missing, self.blocked, self.disabled_webhooks),
            **({"ignored": self.ignored} if self.ignored.get("count") else {}),
            **({"children_coverage": self.coverage} if self.coverage is not None else {}),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "tool_version": __version__,
            "account": self.account,
            "config": {
                "paths": self.config_paths,
                "files": self.config_files,
                "digest": self.config_digest,
                "file_digests": self.config_file_digests,
            },
            "targets": self.targets,
            "scope": self.scope,
            "summary": self.summary(),
            "actions": [a.to_json(i + 1) for i, a in enumerate(self.actions)],
            "blocked": self.blocked,
            "unmanaged_lists": self.unmanaged_lists,
            "compliance": self.compliance(),
            "drift": self.drift(),
            "notes": self.notes,
            "warnings": self.warnings,
            "readback": self.readback,
            "stored_forms": self.stored_forms,
            **({"forms_record": self.forms_record} if self.forms_record else {}),
            "safety": self.safety,
            "ignored": self.ignored,
            "fingerprints": self.fingerprints,
            **({"forecast": self.forecast.to_json()} if self.forecast is not None else {}),
            **_pr_origin(self),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)

    def comparable(self) -> list[dict[str, Any]]:
        """What must be identical between a reviewed plan and the one recomputed at apply time."""
        return [_without_counts(a.to_json(i + 1)) for i, a in enumerate(self.actions)] + [
            {"blocked": b["address"]} for b in self.blocked
        ]


# Subscriber counts move all day: a reviewed plan is not different because people joined since.
# The thresholds are checked again on the fresh plan's own counts.
_COUNTS = ("subscribers", "conversations")


def _pr_origin(plan: Plan) -> dict[str, Any]:
    from tatango_iac.engine.pr_origin import summary  # pr_origin builds on Action

    data = summary(plan)
    return {"pr_origin": data} if data is not None else {}


# Whose change it is (a PR plan's origin) describes the change; a reviewed plan is compared by what it does,
# so apply without --changed-since still recognises a PR's reviewed plan.
_DESCRIPTIVE = (*_COUNTS, "origin")


def _without_counts(action: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in action.items() if k not in _DESCRIPTIVE}
    if isinstance(kept.get("changes"), list):
        kept["changes"] = [
            {k: v for k, v in c.items() if k != "origin"} if isinstance(c, dict) else c for c in kept["changes"]
        ]
    if isinstance(kept.get("before"), dict) and "subscribers" in kept["before"]:  # a list delete shows its count
        kept["before"] = {k: v for k, v in kept["before"].items() if k != "subscribers"}
    return kept


def drifted_lists(
    changed: list[dict[str, Any]],
    missing: list[dict[str, Any]],
    blocked: list[dict[str, Any]],
    disabled: list[dict[str, Any]],
) -> list[str]:
    """The managed lists the drift concerns, once each, in report order (the drift workflow's unit of work)."""
    names = (
        [c["list"] for c in changed]
        + [m["list"] for m in missing]
        + [b["list"] for b in blocked]
        + [h["list"] for h in disabled]
    )
    return list(dict.fromkeys(str(n) for n in names if n))


def plan_from_json(data: dict[str, Any]) -> Plan:
    """A saved plan, for showing it again (its values are the display-safe ones: it cannot be applied as is)."""
    actions = [
        Action(
            a["action"],
            a["resource"],
            a["address"],
            a["list"],
            before=a.get("before"),
            after=a.get("after"),
            destructive=a.get("destructive", False),
            reason=a.get("reason", ""),
            reason_code=a.get("reason_code"),
            changes=list(a.get("changes") or []),
            notes=list(a.get("notes") or []),
            subscribers=a.get("subscribers"),
            conversations=a.get("conversations"),
            changes_conversations="conversations" in a,
            origins=dict(a.get("from") or {}),
            payload_digest=a.get("payload_digest", ""),
            before_digest=a.get("before_digest", ""),
            target_digest=a.get("target_digest", ""),
            origin=str(a.get("origin") or ""),
        )
        for a in data.get("actions") or []
    ]
    for message in (data.get("compliance") or {}).get("messages") or []:
        index = message.get("action")
        if isinstance(index, int) and 1 <= index <= len(actions):
            actions[index - 1].review.append(
                {k: v for k, v in message.items() if k not in ("action", "address", "list")}
            )
    from tatango_iac.engine.forecast import Forecast

    drift = data.get("drift") or {}
    config = data.get("config") or {}
    return Plan(
        forecast=Forecast.from_json(data.get("forecast")),
        coverage=drift.get("children_coverage"),
        actions=actions,
        unmanaged_lists=list(data.get("unmanaged_lists") or []),
        blocked=list(data.get("blocked") or []),
        notes=list(data.get("notes") or []),
        disabled_webhooks=list(drift.get("disabled_webhooks") or []),
        config_paths=list(config.get("paths") or []),
        config_files=list(config.get("files") or []),
        config_digest=config.get("digest", ""),
        config_file_digests=dict(config.get("file_digests") or {}),
        fingerprints=dict(data.get("fingerprints") or {}),
        targets=list(data.get("targets") or []),
        scope=dict(data.get("scope") or {"kind": "all"}),
        warnings=list(data.get("warnings") or []),
        safety=dict(data.get("safety") or {}),
        readback=dict(data.get("readback") or {}),
        stored_forms=list(data.get("stored_forms") or []),
        ignored=dict(data.get("ignored") or {}),
        account=dict(data.get("account") or {}),
    )


def comparable_from_saved(saved: dict[str, Any]) -> list[dict[str, Any]]:
    return [_without_counts(a) for a in saved.get("actions") or []] + [
        {"blocked": b["address"]} for b in saved.get("blocked") or []
    ]
