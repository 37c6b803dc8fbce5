"""Equivalent forms compare equal (§5): what the planner compares, and what it sends.

- texts: null and "" are the same; a cleared text is *sent* as "" (some servers ignore null);
- email_subscribe/email_unsubscribe: null and false are the same; an address stays an address;
- opt-in requests: every key, null/false when left out; follow_up_hour only counts with follow_up;
- callback URLs: see ``tatango_iac.identity.urls`` (identity, shared with the reader and the applier);
- texts in another *form* (§13): line endings, Unicode composition, whitespace at either end
  of a line. A server that stores a text in such a form (a Rails app that strips attributes)
  holds the same value; the planner compares forms, so no update or destructive replace is
  planned again every night for it, and ``engine.forms`` reports "the API stored X as Y".
"""

from __future__ import annotations

import unicodedata
from typing import Any

from tatango_iac.engine.diffs import plain
from tatango_iac.model import (
    LIST_FLAG_FIELDS,
    LIST_TEXT_FIELDS,
    OPT_IN_REQUEST_FIELDS,
    UNKNOWN,
    known,
)

_REQUEST_KEEP_NULL = ("collected_data", "success_action", "follow_up_hour")


def text_form(value: Any) -> Any:
    """A text as the planner compares it: one line-ending convention, composed, no edge whitespace."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def norm_list_field(name: str, value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    value = plain(value)
    if name in LIST_FLAG_FIELDS:
        return False if value is None else text_form(value)
    return "" if value is None else text_form(value)


def outgoing_list_field(name: str, value: Any) -> Any:
    """The value sent for a list attribute: a cleared text is sent as ""."""
    if name in LIST_TEXT_FIELDS and value is None:
        return ""
    return value


def complete_request(request: dict[str, Any]) -> dict[str, Any]:
    """Every request key, in the reference's order: null (false for follow_up) when left out."""
    out = {name: request.get(name) for name in OPT_IN_REQUEST_FIELDS}
    out["follow_up"] = bool(out["follow_up"])
    return out


def norm_request(request: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in OPT_IN_REQUEST_FIELDS:
        value = plain(request.get(name))
        if value is UNKNOWN:
            out[name] = UNKNOWN
        elif name == "follow_up":
            out[name] = bool(value)
        elif name == "follow_up_hour":
            out[name] = value if request.get("follow_up") else None
        elif value is None and name not in _REQUEST_KEEP_NULL:
            out[name] = ""
        else:
            out[name] = text_form(value)
    return out


def mask_unknown_requests(live: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Live requests with each unreported field taken from the wanted request in the same place (not compared)."""
    out = []
    for index, request in enumerate(live):
        other = wanted[index] if index < len(wanted) else {}
        out.append({k: (other.get(k) if not known(v) else v) for k, v in request.items()})
    return out


def norm_cf_attr(name: str, value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    value = plain(value)
    if name == "should_validate_regex_via_api":
        return bool(value)
    if name in ("pattern", "default_value", "label"):
        return "" if value is None else text_form(value)
    return value


def differs(live: Any, wanted: Any) -> bool:
    """A value the API did not report is never a difference."""
    return known(live) and live != wanted
