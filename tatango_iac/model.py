"""Typed models of the desired account (from YAML) and the live account (from the API)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

LIST_MESSAGE_FIELDS = (
    "message_yes",
    "message_help",
    "message_stop",
    "message_reply",
    "message_already_subscribed",
    "first_optin_message",
    "second_optin_message",
)
# Attributes written through PUT /lists/{id} (and POST /lists).
LIST_FIELDS = LIST_MESSAGE_FIELDS + ("email_digest", "email_subscribe", "email_unsubscribe")
OPT_IN_REQUEST_FIELDS = (
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
OPT_IN_MESSAGE_FIELDS = ("request_message", "retry_message", "no_response_message", "opt_in_message",
                         "second_opt_in_message")
CUSTOM_FIELD_ATTRS = ("label", "content_type", "max_length", "pattern", "should_validate_regex_via_api",
                      "default_value")
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "message_sent", "reply_received", "cleaned")
RESERVED_KEYWORDS = frozenset({"STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "STOPALL", "HELP", "INFO"})


@dataclass(frozen=True)
class Source:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def normalize_keyword(keyword: str) -> str:
    return keyword.strip().upper()


# ---------------------------------------------------------------- desired model


@dataclass
class DesiredWebhook:
    callback_url: str
    events: dict[str, bool]  # only the events written in the file
    source: Source


@dataclass
class DesiredCustomField:
    key: str
    attrs: dict[str, Any]  # every attribute written in the file
    source: Source


@dataclass
class DesiredList:
    name: str
    source: Source
    fields: dict[str, Any] = field(default_factory=dict)  # LIST_FIELDS written in the file
    renamed_from: Optional[str] = None
    keyword_names: Optional[list[str]] = None  # None: unmanaged
    keyword_sources: dict[str, Source] = field(default_factory=dict)  # upper-cased keyword -> where
    opt_in_type: Optional[str] = None
    bypass_opt_in_response: Optional[bool] = None
    opt_in_requests: Optional[list[dict[str, Any]]] = None
    custom_fields: Optional[list[DesiredCustomField]] = None
    webhooks: Optional[list[DesiredWebhook]] = None
    # Where the list was written, for rules that need exact positions (e.g. the 2nd keyword).
    located: Any = field(default=None, repr=False, compare=False)
    path: tuple = field(default=(), repr=False, compare=False)

    @property
    def keywords(self) -> Optional[set[str]]:
        if self.keyword_names is None:
            return None
        return {normalize_keyword(k) for k in self.keyword_names}

    @property
    def manages_opt_in(self) -> bool:
        return self.opt_in_type is not None or self.opt_in_requests is not None or (
            self.bypass_opt_in_response is not None)


@dataclass
class AccountSettings:
    shortcode: Optional[str] = None
    prune: bool = False
    lint: dict[str, bool] = field(default_factory=dict)
    source: Optional[Source] = None


@dataclass
class DesiredAccount:
    lists: list[DesiredList]
    account: AccountSettings
    files: list[str]
    digest: str

    def by_name(self) -> dict[str, DesiredList]:
        return {lst.name: lst for lst in self.lists}


# ------------------------------------------------------------------- live model


@dataclass
class LiveWebhook:
    id: int
    list_id: int
    callback_url: str
    events: dict[str, bool]
    raw: dict[str, Any]


@dataclass
class LiveCustomField:
    key: str
    attrs: dict[str, Any]
    raw: dict[str, Any]


@dataclass
class LiveList:
    id: int
    name: str
    fields: dict[str, Any]
    keyword_names: list[str]
    opt_in_type: str
    opt_in_requests: list[dict[str, Any]]
    bypass_opt_in_response: Optional[bool]
    subscribers: int
    raw: dict[str, Any]

    @property
    def keywords(self) -> set[str]:
        return {normalize_keyword(k) for k in self.keyword_names}


@dataclass
class LiveAccount:
    lists: list[LiveList]
    webhooks: dict[int, list[LiveWebhook]] = field(default_factory=dict)  # only lists whose webhooks were read
    custom_fields: dict[int, list[LiveCustomField]] = field(default_factory=dict)
    keyword_available: dict[str, bool] = field(default_factory=dict)  # precheck results
    shortcode: Optional[str] = None
    fingerprints: dict[str, str] = field(default_factory=dict)


def live_list_from_api(raw: dict[str, Any]) -> LiveList:
    requests_ = list(raw.get("opt_in_requests") or [])
    # The API reports bypass_opt_in_response only inside each opt-in request.
    bypass = requests_[0].get("bypass_opt_in_response") if requests_ else None
    counts = raw.get("counts") or {}
    return LiveList(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        fields={name: raw.get(name) for name in LIST_FIELDS},
        keyword_names=list(raw.get("keyword_names") or []),
        opt_in_type=raw.get("opt_in_type") or "single",
        opt_in_requests=requests_,
        bypass_opt_in_response=bypass,
        subscribers=int(counts.get("subscribers") or 0),
        raw=raw,
    )


def live_webhook_from_api(raw: dict[str, Any]) -> LiveWebhook:
    return LiveWebhook(
        id=int(raw["id"]),
        list_id=int(raw.get("list_id") or 0),
        callback_url=str(raw.get("callback_url") or ""),
        events={event: bool(raw.get(event)) for event in WEBHOOK_EVENTS},
        raw=raw,
    )


def live_custom_field_from_api(raw: dict[str, Any]) -> LiveCustomField:
    return LiveCustomField(key=str(raw.get("key")), attrs={a: raw.get(a) for a in CUSTOM_FIELD_ATTRS}, raw=raw)
