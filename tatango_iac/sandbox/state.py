"""The sandbox's account state and the API's domain rules, independent of HTTP."""

from __future__ import annotations

import copy
import json
import os
import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import regex

from tatango_iac.errors import TatangoIacError
from tatango_iac.sandbox.profiles import Profile
from tatango_iac.sandbox.storage import Persisted

RESERVED = {"STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "STOPALL", "HELP", "INFO"}
LIST_ATTRS = (
    "name",
    "email_digest",
    "email_subscribe",
    "email_unsubscribe",
    "first_optin_message",
    "second_optin_message",
    "message_help",
    "message_stop",
    "message_reply",
    "message_already_subscribed",
    "message_yes",
)
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "message_sent", "reply_received", "cleaned")
CUSTOM_FIELD_TYPES = ("text", "datetime", "number")
OPT_IN_REQUEST_ATTRS = (
    "collected_data",
    "request_message",
    "retry_message",
    "follow_up",
    "follow_up_hour",
    "no_response_message",
    "opt_in_message",
    "second_opt_in_message",
    "success_action",
)
COLLECTED_DATA = ("zip_code", "email_address", "first_name", "yes")
# The live API reports the same instant with varying UTC offsets; so does the sandbox.
_OFFSETS = (timedelta(hours=-7), timedelta(hours=-8), timedelta(0))
_EPOCH = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


class StateFileError(TatangoIacError):
    """The state file cannot be used as it is: it is left untouched (nothing is written over it)."""


def read_state(path: str, shown: str) -> dict[str, Any]:
    """The saved account, or a clear error naming the file: never a traceback, never a silent fresh start."""
    advice = "fix it, or delete it to start over with an empty account; it was left as it is"
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except UnicodeDecodeError:
        raise StateFileError(f"the sandbox state {shown} is damaged (not UTF-8): {advice}") from None
    except json.JSONDecodeError as exc:
        raise StateFileError(
            f"{shown}:{exc.lineno}:{exc.colno}: the sandbox state is damaged (not JSON: {exc.msg}): {advice}"
        ) from None
    except OSError as exc:
        raise StateFileError(f"cannot read the sandbox state {shown}: {exc.strerror}") from None
    expected = default_state()
    if not isinstance(data, dict):
        raise StateFileError(
            f"the sandbox state {shown} is damaged (a JSON {type(data).__name__}, not an object): {advice}"
        )
    wrong = sorted(k for k, v in expected.items() if k in data and type(data[k]) is not type(v))
    if wrong:
        raise StateFileError(f"the sandbox state {shown} is damaged ({', '.join(wrong)} of the wrong type): {advice}")
    return data


class SandboxError(Exception):
    def __init__(self, status: int, error: str):
        self.status = status
        self.error = error
        super().__init__(f"{status} {error}")


def default_state() -> dict[str, Any]:
    return {
        "account": {"id": 37, "email": "sandbox@tatango-iac.local", "username": "sandbox"},
        "api_key": "sandbox-api-key",
        "shortcodes": ["33733"],
        # Keywords held by other accounts on the shared short code: unavailable to us.
        "foreign_keywords": ["PIZZA", "TACOS", "COFFEE"],
        "lists": {},
        "webhooks": {},
        "custom_fields": {},
        "subscribers": {},
        "next_ids": {"list": 1, "webhook": 1, "opt_in_request": 1, "tick": 0},
    }


class State(Persisted):
    """Thread-safe account state and the API's domain rules; persisted by ``storage.Persisted``."""

    def __init__(
        self, path: Optional[str] = None, data: Optional[dict[str, Any]] = None, profile: Optional[Profile] = None
    ):
        # Absolute: the background flush must not follow a later change of directory. Resolved: a state
        # file that is a symlink is written where it points (replacing the link would lose the write).
        self.path = os.path.realpath(path) if path else None
        self.profile = profile or Profile()
        self.lock = threading.RLock()
        self._dirty = threading.Event()
        self._changed = False  # anything to write back at all (a read-only command writes nothing)
        self._flusher: Optional[threading.Thread] = None
        if data is not None:
            self.data = data
        elif self.path and os.path.exists(self.path):
            self.data = read_state(self.path, path or self.path)
        else:
            self.data = default_state()
            self._changed = bool(self.path)  # a new state file is written once
        for key, value in default_state().items():
            self.data.setdefault(key, value)

    def replace(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.data = data
            for key, value in default_state().items():
                self.data.setdefault(key, value)
            self._changed = True
            self.flush()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    def _next_id(self, kind: str) -> int:
        value = self.data["next_ids"][kind]
        self.data["next_ids"][kind] = value + 1
        return value

    def _timestamp(self, seed: int) -> str:
        tick = self._next_id("tick")
        instant = _EPOCH + timedelta(seconds=tick)
        return self.profile.timestamp(instant.astimezone(timezone(_OFFSETS[seed % len(_OFFSETS)])))

    # ---------------------------------------------------------------- lists

    def get_list(self, list_id: int) -> dict[str, Any]:
        record = self.data["lists"].get(str(list_id))
        if record is None:
            raise SandboxError(404, "List not found")
        return record

    def all_lists(self) -> list[dict[str, Any]]:
        return sorted(self.data["lists"].values(), key=lambda r: r["id"])

    def _holder(self, keyword: str) -> Optional[int]:
        for record in self.data["lists"].values():
            if keyword in record["keyword_names"]:
                return record["id"]
        return None

    def keyword_available(self, keyword: str, for_list: Optional[int] = None) -> bool:
        upper = keyword.strip().upper()
        if not 2 <= len(upper) <= 15 or not re.fullmatch(r"[A-Z0-9]+", upper) or upper in RESERVED:
            return False
        if upper in self.data["foreign_keywords"]:
            return False
        holder = self._holder(upper)
        return holder is None or holder == for_list

    def _check_keywords(self, names: Any, for_list: Optional[int]) -> list[str]:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SandboxError(422, "keyword_names must be an array of strings")
        upper = []
        for name in names:
            value = name.strip().upper()
            if value not in upper:
                upper.append(value)
        bad = [k for k in upper if not self.keyword_available(k, for_list)]
        if bad:
            raise SandboxError(422, f"invalid keyword names: {', '.join(bad)}")
        return upper

    @staticmethod
    def _check_list_attrs(attrs: dict[str, Any], creating: bool) -> None:
        if "name" in attrs or creating:
            name = attrs.get("name")
            if not isinstance(name, str) or not name.strip():
                raise SandboxError(422, "Name can't be blank")
            if len(name) > 25:
                raise SandboxError(422, "Name is too long (maximum is 25 characters)")

    def create_list(self, attrs: dict[str, Any], keyword_names: Any) -> dict[str, Any]:
        self._check_list_attrs(attrs, creating=True)
        keywords = self._check_keywords(keyword_names if keyword_names is not None else [], None)
        list_id = self._next_id("list")
        record = {
            "id": list_id,
            "name": attrs["name"],
            "email_digest": attrs.get("email_digest"),
            "email_subscribe": attrs.get("email_subscribe"),
            "email_unsubscribe": attrs.get("email_unsubscribe"),
            "first_optin_message": attrs.get("first_optin_message", ""),
            "second_optin_message": attrs.get("second_optin_message", ""),
            "message_help": attrs.get("message_help"),
            "message_stop": attrs.get("message_stop"),
            "message_reply": attrs.get("message_reply"),
            "message_already_subscribed": attrs.get("message_already_subscribed"),
            "message_yes": attrs.get("message_yes"),
            "keyword_names": keywords,
            "counts": {"subscribers": 0, "unsubscribed": 0, "cleaned": 0},
            "opt_in_type": "single",
            "opt_in_requests": [],
            "_bypass_opt_in_response": False,
        }
        self.data["lists"][str(list_id)] = record
        return record

    def update_list(self, list_id: int, attrs: dict[str, Any]) -> dict[str, Any]:
        record = self.get_list(list_id)
        self._check_list_attrs(attrs, creating=False)
        attrs = self.profile.list_update(attrs)
        for key in LIST_ATTRS:
            if key in attrs:
                record[key] = attrs[key]
        return record

    def delete_list(self, list_id: int) -> None:
        self.get_list(list_id)
        del self.data["lists"][str(list_id)]
        self.data["custom_fields"].pop(str(list_id), None)
        self.data["subscribers"].pop(str(list_id), None)
        for webhook_id, hook in list(self.data["webhooks"].items()):
            if hook["list_id"] == list_id:
                del self.data["webhooks"][webhook_id]

    def set_keywords(self, list_id: int, names: Any) -> list[str]:
        record = self.get_list(list_id)
        record["keyword_names"] = self.profile.keywords_after_put(
            record["keyword_names"], self._check_keywords(names, list_id)
        )
        return record["keyword_names"]

    def set_opt_in(self, list_id: int, body: dict[str, Any]) -> dict[str, Any]:
        record = self.get_list(list_id)
        opt_in_type = body.get("opt_in_type")
        if opt_in_type not in ("single", "double"):
            raise SandboxError(422, "Opt in type is not included in the list")
        if "bypass_opt_in_response" in body:
            record["_bypass_opt_in_response"] = bool(body["bypass_opt_in_response"])
        bypass = record["_bypass_opt_in_response"]
        if opt_in_type == "single":
            for key in ("first_optin_message", "second_optin_message"):
                if key in body:
                    record[key] = body[key]
            self.profile.single_opt_in_defaults(record, body)
            record["opt_in_type"], record["opt_in_requests"] = "single", []
            return record
        raw_requests = body.get("opt_in_requests")
        if not isinstance(raw_requests, list) or not raw_requests:
            raise SandboxError(422, "Opt in requests can't be blank for double opt-in")
        built = []
        for index, sent in enumerate(raw_requests):
            raw = self.profile.request_defaults(sent) if isinstance(sent, dict) else sent
            built.append(self._opt_in_request(record, raw, index == len(raw_requests) - 1, bypass))
        current = record["opt_in_requests"] if record["opt_in_type"] == "double" else []
        record["opt_in_type"], record["opt_in_requests"] = "double", self.profile.requests_after_put(current, built)
        return record

    def _opt_in_request(self, record: dict[str, Any], raw: Any, last: bool, bypass: bool) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise SandboxError(422, "Opt in requests must be objects")
        if raw.get("collected_data") not in COLLECTED_DATA:
            raise SandboxError(422, "Opt in requests collected data is not included in the list")
        if not raw.get("request_message"):
            raise SandboxError(422, "Opt in requests request message can't be blank")
        wanted = "optinsubscriber" if last else "nextrequest"
        if raw.get("success_action") != wanted:
            raise SandboxError(422, f"Opt in requests success action must be {wanted}")
        if raw.get("follow_up") and not raw.get("follow_up_hour"):
            raise SandboxError(422, "Opt in requests follow up hour can't be blank")
        stamp = self._timestamp(record["id"])
        request = {
            "bypass_opt_in_response": bypass,
            "id": self._next_id("opt_in_request"),
            "list_id": record["id"],
            "created_at": stamp,
            "updated_at": stamp,
        }
        for key in OPT_IN_REQUEST_ATTRS:
            request[key] = raw.get(key)
        request["follow_up"] = bool(raw.get("follow_up"))
        return dict(sorted(request.items()))

    # -------------------------------------------------------- custom fields

    def custom_fields(self, list_id: int) -> list[dict[str, Any]]:
        self.get_list(list_id)
        return list(self.data["custom_fields"].get(str(list_id), {}).values())

    def create_custom_field(self, list_id: int, attrs: Any) -> dict[str, Any]:
        self.get_list(list_id)
        if not isinstance(attrs, dict):
            raise SandboxError(422, "custom_field is required")
        fields = self.data["custom_fields"].setdefault(str(list_id), {})
        key, label = attrs.get("key"), attrs.get("label")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+", key):
            raise SandboxError(422, "Key must only contain lower case characters, numbers and underscores")
        content_type = attrs.get("content_type")
        if content_type not in CUSTOM_FIELD_TYPES:
            raise SandboxError(
                422, f"Content type {content_type} not allowed. Allowed types are: text, datetime, number"
            )
        max_length = attrs.get("max_length")
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length <= 0:
            raise SandboxError(422, "Max. characters must be greater than 0")
        if max_length > 9999:
            raise SandboxError(422, "Max. characters must be less than or equal to 9999")
        taken = []
        if key in fields:
            taken.append("Merge tag has already been taken")
        if any(str(f.get("label", "")).lower() == str(label or "").lower() for f in fields.values()):
            taken.append("Label has already been taken")
        if not label:
            taken.append("Label can't be blank")
        if taken:
            raise SandboxError(422, "Validation failed: " + ", ".join(taken))
        pattern, default = attrs.get("pattern"), attrs.get("default_value")
        if pattern:
            try:  # the API's engine is Ruby's (\A, \z, possessive quantifiers): regex reads those, re does not
                compiled = regex.compile(pattern)
            except regex.error:
                raise SandboxError(422, "Pattern is not a valid regular expression") from None
            try:
                matched = not default or compiled.search(default, timeout=0.5)
            except TimeoutError:
                raise SandboxError(422, "Pattern takes too long to check the default value") from None
            if not matched:
                raise SandboxError(422, "Default value does not match pattern")
        stamp = self._timestamp(list_id)
        record = {
            "list_id": list_id,
            "key": key,
            "pattern": pattern,
            "max_length": max_length,
            "default_value": default,
            "can_insert": True,
            "can_segment": True,
            "created_at": stamp,
            "updated_at": stamp,
            "mask": None,
            "label": label,
            "content_type": content_type,
            "should_validate_regex_via_api": bool(attrs.get("should_validate_regex_via_api", False)),
        }
        fields[key] = record
        return record

    def delete_custom_field(self, list_id: int, key: Any) -> None:
        self.get_list(list_id)
        fields = self.data["custom_fields"].get(str(list_id), {})
        if key not in fields:
            raise SandboxError(404, "Custom field not found")
        del fields[key]

    # ------------------------------------------------------------- webhooks

    def webhooks(self, list_id: int) -> list[dict[str, Any]]:
        self.get_list(list_id)
        return sorted((h for h in self.data["webhooks"].values() if h["list_id"] == list_id), key=lambda h: h["id"])

    def get_webhook(self, list_id: int, webhook_id: int) -> dict[str, Any]:
        self.get_list(list_id)
        hook = self.data["webhooks"].get(str(webhook_id))
        if hook is None or hook["list_id"] != list_id:
            raise SandboxError(404, "Webhook not found")
        return hook

    @staticmethod
    def _check_callback(url: Any) -> None:
        if not isinstance(url, str) or not url:
            raise SandboxError(422, "Callback url can't be blank")
        if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
            raise SandboxError(422, "Callback url is invalid")

    def create_webhook(self, list_id: int, attrs: Any) -> dict[str, Any]:
        self.get_list(list_id)
        if not isinstance(attrs, dict):
            raise SandboxError(422, "webhook is required")
        self._check_callback(attrs.get("callback_url"))
        stamp = self._timestamp(list_id)
        webhook_id = self._next_id("webhook")
        hook = {
            "callback_url": self.profile.stored_url(attrs["callback_url"]),
            "created_at": stamp,
            "enabled": True,
            "id": webhook_id,
            "list_id": list_id,
            "updated_at": stamp,
        }
        for event in WEBHOOK_EVENTS:
            hook[event] = bool(attrs.get(event, False))
        hook = dict(sorted(hook.items()))
        self.data["webhooks"][str(webhook_id)] = hook
        return hook

    def update_webhook(self, list_id: int, webhook_id: int, attrs: Any) -> dict[str, Any]:
        hook = self.get_webhook(list_id, webhook_id)
        if not isinstance(attrs, dict):
            raise SandboxError(422, "webhook is required")
        if "callback_url" in attrs:
            self._check_callback(attrs["callback_url"])
            hook["callback_url"] = self.profile.stored_url(attrs["callback_url"])
        self.profile.webhook_events_after_put(hook, attrs, WEBHOOK_EVENTS)
        hook["updated_at"] = self._timestamp(list_id + 1)
        return hook

    def delete_webhook(self, list_id: int, webhook_id: int) -> None:
        hook = self.get_webhook(list_id, webhook_id)
        if self.profile.soft_deletes_webhooks():
            hook["enabled"] = False
            return
        del self.data["webhooks"][str(webhook_id)]

    # ----------------------------------------------------------- subscribers

    def add_subscriber(self, list_id: int, attrs: Any) -> dict[str, Any]:
        record = self.get_list(list_id)
        if not isinstance(attrs, dict) or not re.fullmatch(r"\+?1?\d{10}", str(attrs.get("phone_number", ""))):
            raise SandboxError(422, "Phone number is invalid")
        subscribers = self.data["subscribers"].setdefault(str(list_id), {})
        phone = str(attrs["phone_number"])[-10:]
        subscriber = {
            **{k: v for k, v in attrs.items() if isinstance(v, (str, int, bool)) or v is None},
            "phone_number": phone,
            "subscribed_at": self._timestamp(list_id),
            "opt_in_method": "api",
        }
        if phone not in subscribers:
            record["counts"]["subscribers"] += 1
        subscribers[phone] = subscriber
        return subscriber
