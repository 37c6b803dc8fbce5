"""What ``doctor --write-probe`` round-trips: every attribute the tool writes, in every form the configuration allows.

The table is checked against the model's tuples of written attributes when this module
is imported (the same tuples the planner's payload builders send), and a test checks it
against the configuration schema: a new writable attribute without a probe entry stops
the tool at import, so the probe cannot drift from what apply writes.

Each attribute has its forms (values written in turn, one per round) and, where the
configuration allows clearing it, the cleared value written in the probe's last round.
Round ``r`` writes form ``(r // hold + offset) % len(forms)``: texts rotate through their
forms so that in each round the seven messages carry different forms, and every message
meets every form across the rounds (one update carries them all: few calls).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from tatango_iac.model import (
    CUSTOM_FIELD_ATTRS,
    LIST_FIELDS,
    LIST_MESSAGE_FIELDS,
    OPT_IN_REQUEST_FIELDS,
    WEBHOOK_EVENTS,
)


class Part(Enum):
    """A resource the probe writes, as the user names it."""

    LIST = "list"
    OPT_IN = "opt-in settings"
    REQUEST = "opt-in request"
    WEBHOOK = "webhook"
    CUSTOM_FIELD = "custom field"

    def __str__(self) -> str:
        return self.value


class Form(Enum):
    """How a written value is shaped: named in the verdicts ("HELP texts with emoji ...")."""

    PLAIN = "plain text"
    ACCENTS = "accented letters and typographic quotes"
    EMOJI = "emoji"
    GSM_EXT = "GSM-7 extension characters ({ } [ ] ~ \\ ^ | €)"
    EDGE_SPACE = "whitespace at either end and a line break"
    LONG = "a long text (459 characters, three SMS segments)"
    AT_LIMIT = "a name at the 25-character limit with an accented letter"
    LOWERCASE = "lower case"
    QUERY_URL = "a URL with a query string (fake token)"
    MIXED_URL = "a URL with upper-case host, default port and an encoded query"
    VALUE = "a value"
    BOUND = "a value at the schema's bound"
    CLEARED = "cleared"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Written:
    value: Any
    form: Form


@dataclass(frozen=True)
class Attribute:
    part: Part
    name: str
    forms: tuple[Written, ...]
    clear: Any = None  # the cleared value written in the last round (only when clearable)
    clearable: bool = False
    hold: int = 1  # rounds each form is kept (a URL or key change costs a delete and a create)
    what: str = ""  # how the user names it in a consequence ("HELP texts")

    def value(self, round_: int, offset: int) -> Written:
        return self.forms[(round_ // self.hold + offset) % len(self.forms)]

    @property
    def label(self) -> str:
        return self.what or f"{self.part} {self.name}"


LONG_TEXT = ("tatango-iac probe: a long text in three SMS segments. " * 9)[:459]
TEXTS = (
    Written("tatango-iac probe: plain text. Reply STOP to end.", Form.PLAIN),
    Written("tatango-iac probe: café, naïve, “quoted” \u2013 Ünïcode", Form.ACCENTS),  # an en dash
    Written("tatango-iac probe 🎉 emoji 👍🏽 text", Form.EMOJI),
    Written("tatango-iac probe: {braces} [brackets] ~ \\ ^ | €", Form.GSM_EXT),
    Written("  tatango-iac probe: edge whitespace\nsecond line  ", Form.EDGE_SPACE),
    Written(LONG_TEXT, Form.LONG),
)
EMAILS = (
    Written("probe@example.invalid", Form.VALUE),
    Written("Probe.Second+tag@example.invalid", Form.VALUE),
)
FLAG = (Written(True, Form.VALUE), Written("probe@example.invalid", Form.VALUE), Written(False, Form.VALUE))
BOOLS = (Written(True, Form.VALUE), Written(False, Form.VALUE))
# The probe URL carries an obviously fake token: it is still masked wherever it is shown.
PROBE_TOKEN = "fake-probe-token-0000000000000000"
URLS = (
    Written(f"https://probe.tatango-iac.invalid/hook?token={PROBE_TOKEN}&source=doctor", Form.QUERY_URL),
    Written(f"HTTPS://Probe.Tatango-IaC.invalid:443/hook/2?token={PROBE_TOKEN}&q=a%20b", Form.MIXED_URL),
)
MESSAGE_WHAT = {
    "message_yes": "YES replies",
    "message_help": "HELP texts",
    "message_stop": "STOP texts",
    "message_reply": "reply texts",
    "message_already_subscribed": "already-subscribed texts",
    "first_optin_message": "first opt-in confirmations",
    "second_optin_message": "second opt-in confirmations",
}


def _list_attributes() -> list[Attribute]:
    out = [
        Attribute(Part.LIST, name, TEXTS, clear=None, clearable=True, what=MESSAGE_WHAT[name])
        for name in LIST_MESSAGE_FIELDS
    ]
    out.append(Attribute(Part.LIST, "email_digest", EMAILS, clear=None, clearable=True, what="digest e-mail addresses"))
    out += [
        Attribute(Part.LIST, name, FLAG, clear=None, clearable=True, what=f"{name} settings")
        for name in ("email_subscribe", "email_unsubscribe")
    ]
    return out


REQUEST_TEXTS = {
    "request_message": "opt-in request texts",
    "retry_message": "opt-in retry texts",
    "no_response_message": "opt-in no-response texts",
    "opt_in_message": "opt-in confirmation texts",
    "second_opt_in_message": "opt-in second confirmation texts",
}
TABLE: tuple[Attribute, ...] = (
    # The name: renamed every round (the probe's names all start with its unique name, for its clean-up).
    Attribute(Part.LIST, "name", (Written("", Form.PLAIN), Written("é", Form.AT_LIMIT)), what="list names"),
    *_list_attributes(),
    Attribute(
        Part.LIST,
        "keyword_names",
        (Written(0, Form.VALUE), Written(1, Form.LOWERCASE)),  # indexes of the probe's two free keywords
        clear=[],
        clearable=True,
        what="keywords",
    ),
    Attribute(Part.OPT_IN, "opt_in_type", (Written("double", Form.VALUE),), clear="single", clearable=True),
    Attribute(Part.OPT_IN, "bypass_opt_in_response", BOOLS, what="the bypass of opt-in responses"),
    Attribute(Part.OPT_IN, "opt_in_requests", (Written(2, Form.VALUE),), clear=[], clearable=True),
    Attribute(
        Part.REQUEST,
        "collected_data",
        tuple(Written(v, Form.VALUE) for v in ("zip_code", "email_address", "first_name")),
    ),
    *(
        Attribute(
            Part.REQUEST,
            name,
            TEXTS,
            clear=None,
            clearable=name != "request_message",  # the schema requires a request text
            what=what,
        )
        for name, what in REQUEST_TEXTS.items()
    ),
    Attribute(Part.REQUEST, "follow_up", BOOLS, what="opt-in follow-ups"),
    Attribute(Part.REQUEST, "follow_up_hour", (Written(1, Form.VALUE), Written(24, Form.VALUE)), hold=2),
    # success_action: the API requires nextrequest on every request but the last (optinsubscriber there):
    # a null is refused, so the probe does not clear it.
    Attribute(Part.REQUEST, "success_action", (Written("nextrequest", Form.VALUE),)),
    Attribute(Part.WEBHOOK, "callback_url", URLS, hold=3, what="webhook URLs"),
    *(Attribute(Part.WEBHOOK, event, BOOLS, what=f"webhook {event} events") for event in WEBHOOK_EVENTS),
    Attribute(
        Part.CUSTOM_FIELD,
        "key",
        (Written("tatango_iac_probe", Form.VALUE), Written("tatango_iac_probe_second_key_0", Form.VALUE)),
        what="custom field keys",
    ),
    Attribute(Part.CUSTOM_FIELD, "label", TEXTS[:5], what="custom field labels"),
    Attribute(
        Part.CUSTOM_FIELD,
        "content_type",
        tuple(Written(v, Form.VALUE) for v in ("text", "number", "datetime")),
        what="custom field content types",
    ),
    # max_length: null is refused by the API (422 "Max. characters must be greater than 0"); 1 and 9999 are
    # the schema's bounds.
    Attribute(Part.CUSTOM_FIELD, "max_length", (Written(1, Form.BOUND), Written(9999, Form.BOUND))),
    Attribute(
        Part.CUSTOM_FIELD,
        "pattern",
        # Both match every default_value form: the API refuses a default that does not match the pattern.
        (Written(".*", Form.VALUE), Written("^[^<>]*$", Form.VALUE)),
        clear=None,
        clearable=True,
        what="custom field patterns",
    ),
    Attribute(Part.CUSTOM_FIELD, "should_validate_regex_via_api", BOOLS),
    Attribute(Part.CUSTOM_FIELD, "default_value", TEXTS[:4], clear=None, clearable=True),
)

# Attributes the probe writes that are not among the written tuples below (identity and structure).
_STRUCTURE = {
    Part.LIST: {"name", "keyword_names"},
    Part.OPT_IN: {"opt_in_type", "bypass_opt_in_response", "opt_in_requests"},
    Part.WEBHOOK: {"callback_url"},
    Part.CUSTOM_FIELD: {"key"},
}
# What the planner's payload builders write, per part (model's tuples).
WRITTEN: dict[Part, set[str]] = {
    Part.LIST: set(LIST_FIELDS) | _STRUCTURE[Part.LIST],
    Part.OPT_IN: _STRUCTURE[Part.OPT_IN],
    Part.REQUEST: set(OPT_IN_REQUEST_FIELDS),
    Part.WEBHOOK: set(WEBHOOK_EVENTS) | _STRUCTURE[Part.WEBHOOK],
    Part.CUSTOM_FIELD: set(CUSTOM_FIELD_ATTRS) | _STRUCTURE[Part.CUSTOM_FIELD],
}


def rounds() -> int:
    """Rounds of writes: enough for every attribute to meet each of its forms, then one that clears."""
    return max(len(a.forms) * a.hold for a in TABLE) + 1


def attribute(part: Part, name: str) -> Attribute:
    return next(a for a in TABLE if a.part is part and a.name == name)


def check_table() -> None:
    """Refuse (at import) a table that misses, or adds, an attribute the tool writes."""
    for part, names in WRITTEN.items():
        probed = {a.name for a in TABLE if a.part is part}
        if probed != names:
            raise RuntimeError(
                f"doctor's probe table for {part} does not cover exactly what the tool writes: "
                f"missing {sorted(names - probed)}; unexpected {sorted(probed - names)}"
            )


check_table()
