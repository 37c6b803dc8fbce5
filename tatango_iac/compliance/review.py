"""What a planned change does to the messages the phone receives (§15): for each message
an action writes, the SMS parts and encoding before and after, and each rule the change
breaks or fixes. Pure: it reads the planned actions and the desired lists, nothing else.

A review entry is display-safe JSON: a message that came from ``${...}`` is checked in
its template form, so no finding can quote a resolved secret.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Optional

from tatango_iac.compliance.check import Finding, MessageContext, Presence, check_message
from tatango_iac.compliance.context import brand_of, checked_text, request_context
from tatango_iac.compliance.encoding import change_summary, sms_info
from tatango_iac.compliance.policy import Policy
from tatango_iac.model import LIST_MESSAGE_FIELDS, OPT_IN_MESSAGE_FIELDS, DesiredAccount, DesiredList

_REQUEST_FIELD = re.compile(r"^opt_in_requests\[(\d+)\]\.(\w+)$")
_SIZE_TOPICS = ("parts", "ucs2")  # findings about size: said as a state, not as something added


def _phrase(finding: Finding, field: str, broke: bool, existed: bool) -> str:
    if finding.topic in _SIZE_TOPICS:
        return f"{field} {'now has' if broke else 'no longer has'} {finding.subject}"
    if not existed:
        return finding.message(field)
    adds = (finding.presence is Presence.PRESENT) == broke
    return f"adds {finding.subject} to {field}" if adds else f"removes {finding.subject} from {field}"


def review_message(
    field: str, path: str, before: Any, after: Any, context: MessageContext, policy: Policy
) -> dict[str, Any]:
    """One message's review: {"field", "sms": {"before", "after", "summary"}, "breaks", "fixes"}."""
    old, new = checked_text(before), checked_text(after)
    enabled = policy.enabled()
    was = {f.key: f for f in check_message(field, old, context, enabled)}
    now = {f.key: f for f in check_message(field, new, context, enabled)} if new else {}
    breaks = [now[k] for k in now if k not in was]
    fixes = [was[k] for k in was if k not in now] if new else []  # a cleared message fixes nothing

    def entry(finding: Finding, broke: bool) -> dict[str, Any]:
        return {
            "rule": finding.rule.value,
            "severity": policy.severity(finding.rule).value,
            "message": _phrase(finding, field, broke, bool(old)),
        }

    return {
        "field": path,
        "sms": {
            "before": sms_info(old).to_json() if old else None,
            "after": sms_info(new).to_json() if new else None,
            "summary": change_summary(old or None, new or None),
        },
        "breaks": [entry(f, True) for f in sorted(breaks)],
        "fixes": [entry(f, False) for f in sorted(fixes)],
    }


def _list_messages(action: Any) -> Iterator[tuple[str, str, Any, Any]]:
    before, after = action.before or {}, action.after or {}
    for name in LIST_MESSAGE_FIELDS:
        if name in after:
            yield name, name, before.get(name), after[name]


def _request_messages(action: Any) -> Iterator[tuple[int, str, Any, Any]]:
    """(request index in the new flow, field, before, after) for each message the action writes."""
    wanted = (action.after or {}).get("opt_in_requests") or []
    if action.action == "create":
        for j, request in enumerate(wanted):
            for name in OPT_IN_MESSAGE_FIELDS:
                yield j, name, None, request.get(name)
        return
    for change in action.changes:
        if change.get("op") == "add":
            j = int(change["path"].split("[", 1)[1].rstrip("]"))
            for name in OPT_IN_MESSAGE_FIELDS:
                yield j, name, None, wanted[j].get(name) if j < len(wanted) else None
            continue
        match = _REQUEST_FIELD.match(change.get("path", ""))
        if match and match.group(2) in OPT_IN_MESSAGE_FIELDS and not change.get("op"):
            j = int(match.group(1))
            yield j, match.group(2), change.get("before"), wanted[j].get(match.group(2)) if j < len(wanted) else None


def review_action(action: Any, lst: DesiredList, account_brand: Optional[str], policy: Policy) -> list[dict[str, Any]]:
    """The review of every message a list or opt-in action writes (none for other resources)."""
    if action.action == "delete":
        return []
    brand = brand_of(lst, account_brand)
    out: list[dict[str, Any]] = []
    if action.resource == "list":
        for name, path, before, after in _list_messages(action):
            if checked_text(before) or checked_text(after):
                out.append(review_message(name, path, before, after, MessageContext(brand=brand), policy))
    elif action.resource == "opt_in_settings":
        wanted = (action.after or {}).get("opt_in_requests") or []
        for j, name, before, after in _request_messages(action):
            if checked_text(before) or checked_text(after):
                out.append(
                    review_message(
                        name, f"opt_in_requests[{j}].{name}", before, after, request_context(brand, wanted, j), policy
                    )
                )
    return out


def review_plan(actions: list[Any], desired: DesiredAccount) -> None:
    """Attach each action's message review (``action.review``)."""
    policy = Policy.from_settings(desired.account.lint)
    by_key = desired.by_key()
    for action in actions:
        if action.resource in ("list", "opt_in_settings") and action.list_key in by_key:
            action.review = review_action(action, by_key[action.list_key], desired.account.brand, policy)
