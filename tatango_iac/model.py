"""Typed models of the desired account (from YAML) and the live account (from the API).

The live model holds values already coerced to their types (``api.coerce``). A field
the API's answer did not report is ``UNKNOWN``: never equal to anything, never
compared, never written back (§10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Optional

LIST_MESSAGE_FIELDS = (
    "message_yes",
    "message_help",
    "message_stop",
    "message_reply",
    "message_already_subscribed",
    "first_optin_message",
    "second_optin_message",
)
LIST_FLAG_FIELDS = ("email_subscribe", "email_unsubscribe")
# Attributes written through PUT /lists/{id} (and POST /lists).
LIST_FIELDS = LIST_MESSAGE_FIELDS + ("email_digest",) + LIST_FLAG_FIELDS
LIST_TEXT_FIELDS = LIST_MESSAGE_FIELDS + ("email_digest",)
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
OPT_IN_MESSAGE_FIELDS = (
    "request_message",
    "retry_message",
    "no_response_message",
    "opt_in_message",
    "second_opt_in_message",
)
SINGLE_OPT_IN_MESSAGES = ("first_optin_message", "second_optin_message")
CUSTOM_FIELD_ATTRS = (
    "label",
    "content_type",
    "max_length",
    "pattern",
    "should_validate_regex_via_api",
    "default_value",
)
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "message_sent", "reply_received", "cleaned")
RESERVED_KEYWORDS = frozenset({"STOP", "END", "CANCEL", "UNSUBSCRIBE", "QUIT", "STOPALL", "HELP", "INFO"})


class _Unknown:
    """A value the API's answer did not report."""

    _instance: Optional["_Unknown"] = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Any = _Unknown()


def known(value: Any) -> bool:
    return value is not UNKNOWN


@dataclass(frozen=True)
class Via:
    """How a value written in a template or account.defaults reached a list."""

    origin: str  # 'template "store"' or 'account.defaults'
    list_label: str  # the list as addresses show it
    list_source: "Source"


@dataclass(frozen=True)
class Source:
    file: str
    line: int
    col: int
    # Set when the value was written in a template or defaults: the list it reached (not compared).
    via: Optional[Via] = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def normalize_keyword(keyword: str) -> str:
    """Keywords compare upper-cased; a Templated keyword keeps its template (secrets.Templated.upper)."""
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
    id: Optional[int] = None  # pins the live list it manages (duplicate names)
    delete: bool = False  # plan the deletion of this one list
    protect: bool = False  # never deleted nor stripped of custom-field data (engine.protection)
    keyword_names: Optional[list[str]] = None  # None: unmanaged
    keyword_sources: dict[str, Source] = field(default_factory=dict)  # upper-cased keyword -> where
    opt_in_type: Optional[str] = None
    bypass_opt_in_response: Optional[bool] = None
    opt_in_requests: Optional[list[dict[str, Any]]] = None
    custom_fields: Optional[list[DesiredCustomField]] = None
    webhooks: Optional[list[DesiredWebhook]] = None
    # The brand its messages must name (compliance lint only; never sent to the API). brand_given: the entry
    # wrote `brand:` (null there switches the account's brand off for this list).
    brand: Optional[str] = None
    brand_given: bool = False
    # Shown in addresses: the name, plus the id when several entries share the name.
    label: str = ""
    # Where the list was written, for rules that need exact positions (e.g. the 2nd keyword).
    located: Any = field(default=None, repr=False, compare=False)
    path: tuple = field(default=(), repr=False, compare=False)
    # Fields taken from a template or account.defaults: field -> config.templates.Origin.
    origins: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The entry as assembled (templates applied, ${list.*} resolved): what --changed-since compares.
    definition: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    templates: tuple[str, ...] = ()  # the templates it extends, nearest first

    def origin_label(self, name: str) -> str:
        """'' when the field is written on the list, else 'template "store"' or 'account.defaults'."""
        origin = self.origins.get(name)
        return origin.label if origin is not None else ""

    @property
    def key(self) -> str:
        """Unique among the configuration's lists (names repeat only with distinct id pins)."""
        return self.name if self.id is None else f"{self.name}#{self.id}"

    @property
    def keywords(self) -> Optional[set[str]]:
        if self.keyword_names is None:
            return None
        return {normalize_keyword(k) for k in self.keyword_names}

    @property
    def manages_opt_in(self) -> bool:
        return (
            self.opt_in_type is not None
            or self.opt_in_requests is not None
            or (self.bypass_opt_in_response is not None)
        )


@dataclass
class AccountSettings:
    name: Optional[str] = None  # names the credentials' variables (api.credentials) and every plan
    shortcode: Optional[str] = None
    prune: bool = False
    lint: dict[str, Any] = field(default_factory=dict)  # rule id -> off/warning/error, or true/false
    brand: Optional[str] = None  # the brand every opt-in confirmation, HELP and STOP reply must name
    source: Optional[Source] = None
    lint_sources: dict[str, Source] = field(default_factory=dict)  # where each account.lint key is written
    safety: dict[str, Optional[int]] = field(default_factory=dict)  # thresholds as written (engine.safety)
    protect: list[str] = field(default_factory=list)  # name patterns of protected lists
    ignore: list[str] = field(default_factory=list)  # name patterns of unmanaged lists left out


@dataclass(frozen=True)
class NewValueRule:
    """A rule the API reference does not back: an error only for a value the plan writes new.

    Values that already exist live unchanged (a legacy account) are accepted with a warning.
    kind: "keyword" (detail = the keyword), "list-name", "request-field" (detail = (index,
    field)), "custom-field" (detail = the key).
    """

    kind: str
    list_key: str
    detail: Any
    source: Source
    message: str
    rule: str


@dataclass
class DesiredAccount:
    lists: list[DesiredList]
    account: AccountSettings
    files: list[str]
    digest: str = field(repr=False)  # covers resolved ${...} values: never written, only keyed (digests.py)
    paths: list[str] = field(default_factory=list)  # the PATH arguments the files were found from
    # Each file's bytes and resolved values: a stale saved plan names the file that changed. Like ``digest``
    # it covers ${...} values, so only its keyed form is ever written (digests.py).
    file_digests: dict[str, str] = field(default_factory=dict, repr=False)
    new_value_rules: list[NewValueRule] = field(default_factory=list)

    def by_key(self) -> dict[str, DesiredList]:
        return {lst.key: lst for lst in self.lists}


# ------------------------------------------------------------------- live model


@dataclass
class LiveWebhook:
    id: int
    list_id: int
    callback_url: str
    events: dict[str, Any]  # bool, or UNKNOWN when the answer did not report the event
    enabled: Optional[bool] = None


@dataclass
class LiveCustomField:
    key: str
    attrs: dict[str, Any]  # coerced, or UNKNOWN


@dataclass
class LiveList:
    id: int
    name: str
    fields: dict[str, Any]  # LIST_FIELDS, coerced, or UNKNOWN
    keyword_names: list[str]
    opt_in_type: Any  # "single" | "double" | UNKNOWN
    opt_in_requests: Any  # list of coerced dicts, or UNKNOWN
    bypass_opt_in_response: Optional[bool]
    subscribers: Optional[int]  # None: the answer did not say

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
    # Fields some answer did not report, as "list.message_reply", "webhook.cleaned"...
    unreported: set[str] = field(default_factory=set)


class Child(Enum):
    """A list's child collection, each read with its own call."""

    WEBHOOKS = "webhooks"
    CUSTOM_FIELDS = "custom fields"


@dataclass(frozen=True)
class Reads:
    """What to read after the list index: the caller decides it (from the configuration), the reader only reads."""

    children: tuple[tuple[Child, LiveList], ...] = ()  # in this order
    keywords: tuple[str, ...] = ()  # to test for availability on the short code
    shortcode: Optional[str] = None  # the configured short code (None: ask the account)
    # Lists to read through GET /lists/{id}: the index left out a field the configuration manages (§13).
    objects: tuple[LiveList, ...] = ()

    @property
    def count(self) -> int:
        needs_shortcode = bool(self.keywords) and not self.shortcode
        return len(self.objects) + len(self.children) + len(self.keywords) + int(needs_shortcode)


# Given the list index just read, what else to read (the planner decides: ``engine.reads``).
ReadsFor = Callable[[list[LiveList]], Reads]
