"""Behaviour profiles: each flips one point the API reference leaves open (§8, §10).

The default profile fills every open point with the friendliest reading. Each other
profile is one plausible way the real API may differ; the test matrix runs plan, apply,
plan under each and shows the tool converges or stops with a message naming the
assumption. A profile is one class here, overriding one hook of ``Profile``; the
handlers and the state call the hooks and know nothing of the profiles.
"""

from __future__ import annotations

import copy
import math
import re
from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit


class Profile:
    name = "faithful"
    flips = "nothing: every point the reference leaves open gets its friendliest reading"
    tool = "converges"

    # -- answers
    def webhook_out(self, hook: dict[str, Any]) -> dict[str, Any]:
        return dict(hook)

    def respond(self, method: str, status: int, payload: dict[str, Any]) -> tuple[int, Optional[dict[str, Any]]]:
        return status, payload

    def custom_fields_page(self, fields: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        return {"status": "OK", "custom_fields": fields}

    def timestamp(self, instant: datetime) -> str:
        return instant.isoformat()

    # -- writes
    def keywords_after_put(self, current: list[str], sent: list[str]) -> list[str]:
        return sent

    def requests_after_put(self, current: list[dict[str, Any]], sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sent

    def webhook_events_after_put(self, hook: dict[str, Any], attrs: dict[str, Any], events: tuple[str, ...]) -> None:
        for event in events:
            if event in attrs:
                hook[event] = bool(attrs[event])

    def stored_url(self, url: str) -> str:
        return url

    def request_defaults(self, raw: dict[str, Any]) -> dict[str, Any]:
        return raw

    def single_opt_in_defaults(self, record: dict[str, Any], body: dict[str, Any]) -> None:
        pass

    def incoming(self, body: Any) -> Any:
        """A write's body as the application's model sees it."""
        return body

    def soft_deletes_webhooks(self) -> bool:
        return False

    def list_update(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The attributes of a list PUT the application actually assigns."""
        return attrs

    # -- reads
    def page_served(self, per_page: int) -> int:
        """How many items a page holds when ``per_page`` were asked for (the envelope reports per_page)."""
        return per_page

    def index_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """A list as the index shows it (GET /lists/{id} shows it whole)."""
        return item

    def before_write(self, data: dict[str, Any]) -> None:
        """Called with the account before each write commits."""

    def read_view(self, data: dict[str, Any]) -> Optional[dict[str, Any]]:
        """The account a GET sees (None: the current one)."""
        return None

    def put_answer(self, path: str, old: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        """The answer to a PUT, given the account as it was before it (``old``)."""
        return payload


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


class ReadLag(Profile):
    name = "read-lag"
    flips = "reads lag writes: GET answers show the account as it was before the latest writes for the next 3 GETs"
    tool = "converges: apply's read-back reads again, with a bounded wait, until its writes are visible"
    LAG_READS = 3

    def before_write(self, data: dict[str, Any]) -> None:
        lag = data.get("_lag")
        if lag is None:
            # A read replica that has not caught up: it still holds the account from before the first write.
            data["_lag"] = {
                "view": copy.deepcopy({k: v for k, v in data.items() if k != "_lag"}),
                "reads": self.LAG_READS,
            }
        else:
            lag["reads"] = self.LAG_READS

    def read_view(self, data: dict[str, Any]) -> Optional[dict[str, Any]]:
        lag = data.get("_lag")
        if lag is None:
            return None
        lag["reads"] -= 1
        if lag["reads"] <= 0:
            del data["_lag"]
        return lag["view"]


class PageCap(Profile):
    name = "page-cap"
    flips = (
        "index pages hold at most 3 items whatever per_page asks, while the envelope reports per_page and "
        "pages_count as asked"
    )
    tool = "converges: paging follows the items until they add up to count"

    def page_served(self, per_page: int) -> int:
        return min(per_page, 3)


class IndexSummary(Profile):
    name = "index-summary"
    flips = "the list index leaves out the messages and e-mail settings; only GET /lists/{id} carries them"
    tool = "converges: a managed field the index leaves out is read from the list itself (managed lists only)"
    OMITTED = (
        "message_yes",
        "message_help",
        "message_stop",
        "message_reply",
        "message_already_subscribed",
        "first_optin_message",
        "second_optin_message",
        "email_digest",
        "email_subscribe",
        "email_unsubscribe",
    )

    def index_item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in self.OMITTED}


def _stripped(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: v if k == "callback_url" else _stripped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stripped(v) for v in value]
    return value


class StripsWhitespace(Profile):
    name = "strips-whitespace"
    flips = "texts are stored with the whitespace at either end stripped (a Rails app with strip_attributes)"
    tool = (
        "stops at the first apply that writes such a text: 'the API stored X as Y'; plans no change (and never "
        "a destructive replace) for it afterwards"
    )

    def incoming(self, body: Any) -> Any:
        return _stripped(body)


_PUT_PATHS = (
    (re.compile(r"/lists/(\d+)/keywords$"), "keywords"),
    (re.compile(r"/lists/(\d+)/webhooks/(\d+)$"), "webhook"),
    (re.compile(r"/lists/(\d+)/opt_in_settings$"), "opt_in"),
    (re.compile(r"/lists/(\d+)$"), "list"),
)


class StaleAnswers(Profile):
    name = "stale-answers"
    flips = "a PUT answers with the object as it was before the write (rendered before the reload), though it stores it"
    tool = "converges: an answer that disagrees is settled by a re-read of the object, not reported as a failure"

    def put_answer(self, path: str, old: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for pattern, kind in _PUT_PATHS:
            found = pattern.search(path)
            if not found:
                continue
            record = old["lists"].get(found.group(1))
            if record is None:
                return payload
            if kind == "keywords":
                return {**payload, "keyword_names": list(record["keyword_names"])}
            if kind == "opt_in":
                return {
                    **payload,
                    "opt_in_type": record["opt_in_type"],
                    "opt_in_requests": list(record["opt_in_requests"]),
                }
            if kind == "webhook":
                hook = old["webhooks"].get(found.group(2))
                return {**payload, "webhook": dict(hook)} if hook else payload
            return {**payload, "list": {k: v for k, v in record.items() if not k.startswith("_")}}
        return payload


class SoftDeleteWebhooks(Profile):
    name = "soft-delete-webhooks"
    flips = "a webhook DELETE answers 'Webhook destroyed' but the webhook stays in the index, disabled (a soft delete)"
    tool = "stops: 'the API answered the delete, but a re-read still finds it', after the bounded wait"

    def soft_deletes_webhooks(self) -> bool:
        return True


class RenameIgnored(Profile):
    name = "rename-ignored"
    flips = "a list PUT answers 200 but ignores name: a list keeps the name it was created with"
    tool = (
        "converges where nothing is renamed; a rename stops apply after its read-back's bounded wait ('the write "
        "is not visible in the re-read'), and `doctor --write-probe` says renaming a list will not work"
    )

    def list_update(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in attrs.items() if k != "name"}


def _three_byte(value: Any) -> Any:
    if isinstance(value, str):
        return "".join(c if ord(c) <= 0xFFFF else "?" for c in value)
    if isinstance(value, dict):
        return {k: _three_byte(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_three_byte(v) for v in value]
    return value


class NoEmoji(Profile):
    name = "no-emoji"
    flips = "texts are stored in a 3-byte UTF-8 column (MySQL's utf8): emoji and other astral characters become '?'"
    tool = (
        "converges where no text has emoji; a text with emoji is reported by apply's read-back ('the API accepted "
        "... but holds ...?'), and `doctor --write-probe` names every text that loses them"
    )

    def incoming(self, body: Any) -> Any:
        return _three_byte(body)


class CapsMaxLength(Profile):
    name = "caps-max-length"
    flips = "a custom field's max_length above 255 is stored as 255 (a varchar(255) column behind the API)"
    tool = (
        "stops at the first apply that creates one: 'the API stored max_length 500 as 255'; with --forms-record "
        "it plans no destructive replace for it afterwards"
    )
    CAP = 255

    def incoming(self, body: Any) -> Any:
        field = body.get("custom_field") if isinstance(body, dict) else None
        if not isinstance(field, dict):
            return body
        length = field.get("max_length")
        if isinstance(length, int) and not isinstance(length, bool) and length > self.CAP:
            return {**body, "custom_field": {**field, "max_length": self.CAP}}
        return body


class FollowUpEvenHours(Profile):
    name = "follow-up-even-hours"
    flips = (
        "an opt-in request's follow_up_hour is stored rounded up to an even hour (3 is kept as 4: a 2-hour scheduler)"
    )
    tool = (
        "stops at the apply that writes an odd hour: 'the API stored opt_in_requests[0].follow_up_hour 3 as 4'; with "
        "--forms-record it plans no update for it afterwards"
    )

    def request_defaults(self, raw: dict[str, Any]) -> dict[str, Any]:
        hour = raw.get("follow_up_hour")
        if isinstance(hour, int) and not isinstance(hour, bool) and hour % 2:
            return {**raw, "follow_up_hour": hour + 1}
        return raw


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
