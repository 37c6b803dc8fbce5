"""Safety rails counted in people (§14): who each action reaches, and the plan's thresholds.

Pure: the plan's actions and the live account in, annotations and a verdict out.

- **Reach.** A destructive action affects the subscribers whose data it takes away: a
  list delete its subscribers, a custom-field delete or replace the subscribers of its
  list (their stored values go). A change to a list's messages changes the
  conversations of the list's subscribers. Both are the list's count as the index
  reported it; a count the API did not report is unknown, never 0.
- **Thresholds** (``account.safety``, octoDNS-like defaults): the share of managed
  lists one plan updates, the lists it deletes, the webhooks it deletes or points
  elsewhere, the subscribers its destructive actions affect. A plan over one is not
  an error: it says so, and apply refuses it without ``--allow-bulk``.
"""

from __future__ import annotations

import enum
from typing import Any, Iterable, Optional

from tatango_iac.engine.plan import Action
from tatango_iac.model import LIST_MESSAGE_FIELDS, LiveAccount


class Limit(str, enum.Enum):
    UPDATED_PERCENT = "max_updated_percent"
    LISTS_DELETED = "max_lists_deleted"
    WEBHOOKS_CHANGED = "max_webhooks_changed"
    SUBSCRIBERS_AFFECTED = "max_subscribers_affected"


MIN_MANAGED_LISTS = "min_managed_lists"
# octoDNS refuses an update of more than 30% of a zone's records once it holds 10 or more.
DEFAULTS: dict[str, Optional[int]] = {
    Limit.UPDATED_PERCENT.value: 30,
    MIN_MANAGED_LISTS: 10,
    Limit.LISTS_DELETED.value: 3,
    Limit.WEBHOOKS_CHANGED.value: 5,
    Limit.SUBSCRIBERS_AFFECTED.value: 10_000,
}
OVERRIDE = "--allow-bulk"


def annotate_reach(actions: Iterable[Action], live: LiveAccount) -> None:
    """Set each action's subscribers (destructive) or conversations (message change) from its list's count."""
    counts = {lst.id: lst.subscribers for lst in live.lists}
    for action in actions:
        if action.list_id is None:  # a new list has nobody yet
            continue
        if action.destructive:
            action.subscribers = counts.get(action.list_id)
        elif _changes_messages(action):
            action.conversations = counts.get(action.list_id)
            action.changes_conversations = True


def _changes_messages(action: Action) -> bool:
    if action.resource == "list" and action.action == "update":
        return any(name in LIST_MESSAGE_FIELDS for name in action.after or {})
    if action.resource == "opt_in_settings" and action.action == "update":
        return any("message" in str(change.get("path", "")) for change in action.changes)
    return False


def _per_list(actions: Iterable[Action], count: Any) -> tuple[int, int]:
    """(sum of known counts, number of lists with an unknown count), each list counted once."""
    seen: dict[int, Optional[int]] = {}
    for action in actions:
        if action.list_id is not None:
            seen.setdefault(action.list_id, count(action))
    return sum(c for c in seen.values() if c is not None), sum(1 for c in seen.values() if c is None)


def reach_summary(actions: list[Action]) -> dict[str, int]:
    affected, unknown = _per_list([a for a in actions if a.destructive], lambda a: a.subscribers)
    deleted = {a.list_id for a in actions if a.is_list_delete}
    talking = [a for a in actions if a.changes_conversations and a.list_id not in deleted]
    conversations, conversations_unknown = _per_list(talking, lambda a: a.conversations)
    return {
        "subscribers_affected": affected,
        "subscribers_unknown": unknown,
        "conversations_changed": conversations,
        "conversations_unknown": conversations_unknown,
    }


def limits(settings: dict[str, Optional[int]]) -> dict[str, Optional[int]]:
    """The thresholds in force: those written in account.safety (null: no limit), defaults for the rest."""
    return {name: settings.get(name, default) for name, default in DEFAULTS.items()}


def _webhook_changed(action: Action) -> bool:
    if action.resource != "webhook":
        return False
    return action.action == "delete" or any(c.get("path") == "callback_url" for c in action.changes)


def verdict(actions: list[Action], managed_ids: set[int], settings: dict[str, Optional[int]]) -> dict[str, Any]:
    """The plan measured against its thresholds: {"limits", "measured", "exceeded": [...]}.

    ``managed_ids``: the live lists the configuration manages (and does not delete).
    """
    chosen = limits(settings)
    updated = {a.list_id for a in actions if a.list_id in managed_ids and not a.is_list_delete}
    reach = reach_summary(actions)
    managed = len(managed_ids)
    measured = {
        "managed_lists": managed,
        "lists_updated": len(updated),
        "updated_percent": round(100 * len(updated) / managed, 1) if managed else 0.0,
        "lists_deleted": sum(1 for a in actions if a.is_list_delete),
        "webhooks_changed": sum(1 for a in actions if _webhook_changed(a)),
        "subscribers_affected": reach["subscribers_affected"],
        "subscribers_unknown": reach["subscribers_unknown"],
    }
    exceeded = []
    for check in (_updated, _deleted, _webhooks, _subscribers):
        found = check(chosen, measured)
        if found:
            exceeded.append(found)
    return {"limits": chosen, "measured": measured, "exceeded": exceeded}


def _over(limit: Limit, maximum: int, value: Any, message: str) -> dict[str, Any]:
    return {"limit": limit.value, "max": maximum, "value": value, "message": message}


def _updated(chosen: dict[str, Optional[int]], m: dict[str, Any]) -> Optional[dict[str, Any]]:
    maximum, floor = chosen[Limit.UPDATED_PERCENT.value], chosen[MIN_MANAGED_LISTS] or 0
    if maximum is None or m["managed_lists"] < floor or m["updated_percent"] <= maximum:
        return None
    return _over(
        Limit.UPDATED_PERCENT,
        maximum,
        m["updated_percent"],
        f"updates {m['lists_updated']} of {m['managed_lists']} managed lists ({m['updated_percent']:g}%); "
        f"the limit is {maximum}% (account.safety.{Limit.UPDATED_PERCENT.value})",
    )


def _deleted(chosen: dict[str, Optional[int]], m: dict[str, Any]) -> Optional[dict[str, Any]]:
    maximum = chosen[Limit.LISTS_DELETED.value]
    if maximum is None or m["lists_deleted"] <= maximum:
        return None
    return _over(
        Limit.LISTS_DELETED,
        maximum,
        m["lists_deleted"],
        f"deletes {m['lists_deleted']} list(s); the limit is {maximum} (account.safety.{Limit.LISTS_DELETED.value})",
    )


def _webhooks(chosen: dict[str, Optional[int]], m: dict[str, Any]) -> Optional[dict[str, Any]]:
    maximum = chosen[Limit.WEBHOOKS_CHANGED.value]
    if maximum is None or m["webhooks_changed"] <= maximum:
        return None
    return _over(
        Limit.WEBHOOKS_CHANGED,
        maximum,
        m["webhooks_changed"],
        f"deletes or re-points {m['webhooks_changed']} webhook(s); the limit is {maximum} "
        f"(account.safety.{Limit.WEBHOOKS_CHANGED.value})",
    )


def _subscribers(chosen: dict[str, Optional[int]], m: dict[str, Any]) -> Optional[dict[str, Any]]:
    maximum = chosen[Limit.SUBSCRIBERS_AFFECTED.value]
    if maximum is None:
        return None
    name = f"account.safety.{Limit.SUBSCRIBERS_AFFECTED.value}"
    if m["subscribers_unknown"]:  # a count the API did not give cannot be shown to be under the limit
        return _over(
            Limit.SUBSCRIBERS_AFFECTED,
            maximum,
            None,
            f"destructive actions reach {m['subscribers_unknown']} list(s) whose subscriber count the API "
            f"did not report, so the limit of {maximum:,} subscribers cannot be checked ({name})",
        )
    if m["subscribers_affected"] <= maximum:
        return None
    return _over(
        Limit.SUBSCRIBERS_AFFECTED,
        maximum,
        m["subscribers_affected"],
        f"destructive actions affect {m['subscribers_affected']:,} subscribers; the limit is {maximum:,} ({name})",
    )


def people(count: int, unknown: int, noun: str = "subscribers") -> str:
    """'41,210 subscribers', or 'at least 41,210 subscribers (1 list's count unknown)'."""
    if not unknown:
        return f"{count:,} {noun}"
    return f"at least {count:,} {noun} ({unknown} list(s) with no count from the API)"
