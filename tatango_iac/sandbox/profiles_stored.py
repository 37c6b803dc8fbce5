"""Behaviour profiles of how the API reads back and stores what it was sent (§13).

Read lag, pages and index summaries, stored forms (whitespace, emoji, capped lengths,
rounded hours), stale answers, soft deletes and ignored renames: the ways a server can
accept a write and then show something else. Registered in ``sandbox.profiles``.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Optional

from tatango_iac.sandbox.profile_base import Profile


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
