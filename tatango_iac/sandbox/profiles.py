"""Behaviour profiles: each flips one point the API reference leaves open (§8, §10).

The default profile fills every open point with the friendliest reading. Each other
profile is one plausible way the real API may differ; the test matrix runs plan, apply,
plan under each and shows the tool converges or stops with a message naming the
assumption. A profile is one class here, overriding one hook of ``Profile``; the
handlers and the state call the hooks and know nothing of the profiles.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

from tatango_iac.sandbox.profile_base import Profile
from tatango_iac.sandbox.profiles_stored import (
    CapsMaxLength,
    FollowUpEvenHours,
    IndexSummary,
    NoEmoji,
    PageCap,
    ReadLag,
    RenameIgnored,
    SoftDeleteWebhooks,
    StaleAnswers,
    StripsWhitespace,
)


class ThreeEvents(Profile):
    name = "three-events"
    flips = "webhook answers carry only the three documented events (subscribe, unsubscribe, message_sent)"
    tool = "converges; reply_received and cleaned are unknown, not compared, and the plan says so"

    def webhook_out(self, hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if k not in ("reply_received", "cleaned")}


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return value


class StringScalars(Profile):
    name = "string-scalars"
    flips = 'booleans and numbers come back as strings ("true", "9999", ids and counts too)'
    tool = "converges: values are coerced where read; no update from a type difference"

    def respond(self, method: str, status: int, payload: dict[str, Any]) -> tuple[int, Optional[dict[str, Any]]]:
        return status, _stringify(payload)


class Created201(Profile):
    name = "created-201"
    flips = "creates answer 201, deletes answer 204 with an empty body"
    tool = "converges: an empty 204 to a DELETE is success"

    def respond(self, method: str, status: int, payload: dict[str, Any]) -> tuple[int, Optional[dict[str, Any]]]:
        if status == 200 and method == "POST":
            return 201, payload
        if status == 200 and method == "DELETE":
            return 204, None
        return status, payload


class KeywordsAdd(Profile):
    name = "keywords-add"
    flips = "a keywords PUT adds the keywords sent instead of replacing the list's keywords"
    tool = "stops at the first keyword change: 'the API did not apply keyword_names as sent'"

    def keywords_after_put(self, current: list[str], sent: list[str]) -> list[str]:
        return current + [k for k in sent if k not in current]


class OptInAppend(Profile):
    name = "opt-in-append"
    flips = "an opt-in PUT appends the requests sent to the list's requests instead of replacing them"
    tool = "stops at the first change of existing requests: 'the API did not apply opt_in_requests as sent'"

    def requests_after_put(self, current: list[dict[str, Any]], sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return current + sent


class WebhookPutResets(Profile):
    name = "webhook-put-resets"
    flips = "a webhook PUT resets the events it leaves out to false"
    tool = "converges: an update always sends all five events"

    def webhook_events_after_put(self, hook: dict[str, Any], attrs: dict[str, Any], events: tuple[str, ...]) -> None:
        for event in events:
            hook[event] = bool(attrs.get(event, False))


class NormalizedUrls(Profile):
    name = "normalized-urls"
    flips = "callback URLs are stored normalised: scheme and host lower case, default port dropped"
    tool = "converges: callback URLs are matched in that canonical form"

    def stored_url(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        default = {"http": 80, "https": 443}.get(parts.scheme.lower())
        netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
        return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


class CustomFieldsPaged(Profile):
    name = "custom-fields-paged"
    flips = "the custom-field index is paged like the others, at 10 per page whatever per_page says"
    tool = "converges: every index is paged by pages_count"

    def custom_fields_page(self, fields: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        page = max(1, int(query.get("page", 1)))
        return {
            "status": "OK",
            "per_page": 10,
            "count": len(fields),
            "page": page,
            "pages_count": math.ceil(len(fields) / 10),
            "custom_fields": fields[(page - 1) * 10 : page * 10],
        }


class OddTimestamps(Profile):
    name = "odd-timestamps"
    flips = 'timestamps come in a non-ISO format ("09/07/2016 14:10:41 -0700")'
    tool = "converges: timestamps are never compared nor fingerprinted"

    def timestamp(self, instant: datetime) -> str:
        return instant.strftime("%m/%d/%Y %H:%M:%S %z")


DEFAULT_RETRY = "Sorry, we did not understand your reply."
DEFAULT_CONFIRMATION = "You are now subscribed. Reply STOP to end."


class OptInDefaults(Profile):
    name = "opt-in-defaults"
    flips = "opt-in keys left out of a PUT get server defaults (retry text, follow-up, confirmations)"
    tool = "converges: an opt-in PUT sends every key, null/false for those left out"

    def request_defaults(self, raw: dict[str, Any]) -> dict[str, Any]:
        filled = dict(raw)
        filled.setdefault("retry_message", DEFAULT_RETRY)
        if "follow_up" not in filled:
            filled["follow_up"], filled["follow_up_hour"] = True, 24
            filled.setdefault("no_response_message", DEFAULT_RETRY)
        return filled

    def single_opt_in_defaults(self, record: dict[str, Any], body: dict[str, Any]) -> None:
        for key in ("first_optin_message", "second_optin_message"):
            if key not in body:
                record[key] = DEFAULT_CONFIRMATION


# ---------------------------------------------------------------- §13: the closed loop's profiles


PROFILES: dict[str, type[Profile]] = {
    cls.name: cls
    for cls in (
        Profile,
        ThreeEvents,
        StringScalars,
        Created201,
        KeywordsAdd,
        OptInAppend,
        WebhookPutResets,
        NormalizedUrls,
        CustomFieldsPaged,
        OddTimestamps,
        OptInDefaults,
        ReadLag,
        PageCap,
        IndexSummary,
        StripsWhitespace,
        StaleAnswers,
        SoftDeleteWebhooks,
        RenameIgnored,
        NoEmoji,
        CapsMaxLength,
        FollowUpEvenHours,
    )
}


def profile_named(name: Optional[str]) -> Profile:
    if not name:
        return Profile()
    try:
        return PROFILES[name]()
    except KeyError:
        raise ValueError(f"unknown sandbox profile {name!r}; known: {', '.join(PROFILES)}") from None
