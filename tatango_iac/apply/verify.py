"""Check each write against its own answer (§10), with no extra call.

The reference is silent on much write behaviour: a keywords PUT might add instead of
replace, an opt-in PUT append instead of replace, a webhook answer drop events. When
an answer says the write was not carried out as sent, the apply stops naming the
assumption that failed. A field the answer does not carry is not checked (unknown);
an answer of the wrong shape raises AnswerError (the write is then "uncertain").
"""

from __future__ import annotations

import json
from typing import Any

from tatango_iac.api import coerce
from tatango_iac.api.client import AnswerError
from tatango_iac.errors import TatangoIacError
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import WEBHOOK_EVENTS, known, normalize_keyword
from tatango_iac.secrets import display


class WriteMismatch(TatangoIacError):
    """The API answered, but did not apply the write as sent."""

    def __init__(self, what: str, sent: Any, got: Any, assumption: str):
        self.what, self.assumption = what, assumption
        super().__init__(
            f"the API did not apply {what} as sent: sent {_shown(sent)}, got {_shown(got)} "
            f"(assumption that failed: {assumption})"
        )


def _shown(value: Any) -> str:
    return json.dumps(display(value), ensure_ascii=False)


def _read(value: Any, where: str, read, method: str, path: str) -> Any:
    try:
        return read(value, where)
    except coerce.ShapeError as exc:
        raise AnswerError(str(exc), status=200, method=method, path=path) from None


def keywords(answer: dict[str, Any], sent: list[str], method: str, path: str, assumption: str) -> None:
    if "keyword_names" not in answer:
        return  # an empty answer (204) is success, but cannot be checked
    got = _read(answer["keyword_names"] or [], "keyword_names", coerce.as_str_list, method, path)
    if {normalize_keyword(k) for k in got} != {normalize_keyword(k) for k in sent}:
        raise WriteMismatch("keyword_names", sorted(sent, key=str), sorted(got), assumption)


def list_created(record: dict[str, Any], payload: dict[str, Any], path: str) -> int:
    list_id = _read(record.get("id"), "list.id", coerce.as_int, "POST", path)
    if "keyword_names" in payload:
        keywords(
            record,
            payload["keyword_names"],
            "POST",
            path,
            "a list create carries its keyword_names and claims all of them",
        )
    return list_id


def opt_in(answer: dict[str, Any], payload: dict[str, Any], path: str) -> None:
    if "opt_in_type" in answer and answer["opt_in_type"] != payload["opt_in_type"]:
        raise WriteMismatch(
            "opt_in_type", payload["opt_in_type"], answer["opt_in_type"], "an opt-in PUT sets the opt-in type"
        )
    if "opt_in_requests" not in answer:
        return
    got = _read(
        answer["opt_in_requests"], "opt_in_requests", lambda v, w: coerce.opt_in_requests(v, w, set()), "PUT", path
    )
    sent = [r.get("collected_data") for r in payload.get("opt_in_requests") or []]
    answered = [r.get("collected_data") for r in got]
    # Count and order; what each request collects, where the answer reports it.
    if len(answered) != len(sent) or any(known(a) and a != s for a, s in zip(answered, sent, strict=True)):
        raise WriteMismatch(
            "opt_in_requests",
            sent,
            [a if known(a) else "?" for a in answered],
            "an opt-in PUT replaces all of the list's opt-in requests, in the order sent",
        )


def webhook(record: dict[str, Any], payload: dict[str, Any], method: str, path: str) -> int:
    """Check a webhook object (the create's answer, or the ``webhook`` of an update's answer)."""
    hook_id = _read(record.get("id"), "webhook.id", coerce.as_int, method, path)
    sent_url = payload.get("callback_url")
    if sent_url is not None and "callback_url" in record:
        got_url = _read(record["callback_url"], "webhook.callback_url", coerce.as_text, method, path)
        if canonical_url(got_url or "") != canonical_url(sent_url):
            raise WriteMismatch(
                "callback_url",
                display(sent_url, url=True),
                display(got_url or "", url=True),
                "the API stores the callback URL as sent",
            )
    sent_events = {e: payload[e] for e in WEBHOOK_EVENTS if e in payload}
    got_events = {
        e: _read(record[e], f"webhook.{e}", coerce.as_bool, method, path)
        for e in sent_events
        if e in record and record[e] is not None
    }
    if any(got_events[e] != sent_events[e] for e in got_events):
        raise WriteMismatch(
            "the webhook events",
            sent_events,
            {**sent_events, **got_events},
            "the API stores every event sent (a webhook update sends all five)",
        )
    return hook_id


def custom_field(record: dict[str, Any], payload: dict[str, Any], path: str) -> str:
    key = _read(record.get("key"), "custom_field.key", coerce.as_text, "POST", path)
    if key != payload["key"]:
        raise WriteMismatch("the custom field key", payload["key"], key, "the API keeps the key sent")
    return key
