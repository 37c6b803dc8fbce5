"""The configuration the write probe's round trip asks for in each round (pure: no I/O).

Each round is a desired account holding only the scratch list, pinned by its id (so a
rename the API ignored can never make the planner create a second list). The rounds go

- ``0 .. forms-1``: every attribute set, then changed, through each of its forms
  (``attributes.TABLE``);
- ``forms``: every attribute the configuration allows clearing is cleared (null, "",
  false, no keywords);
- ``forms+1``: the children are removed (no webhook, no custom field, single opt-in with
  no requests): the deletes, read back like every other write.

The planner turns each round into the same payloads apply sends, so the probe writes
exactly what the tool writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tatango_iac.doctor.attributes import TABLE, Attribute, Form, Part, Written, rounds
from tatango_iac.model import (
    LIST_FIELDS,
    WEBHOOK_EVENTS,
    AccountSettings,
    DesiredAccount,
    DesiredCustomField,
    DesiredList,
    DesiredWebhook,
    Source,
)

SOURCE = Source("(doctor --write-probe)", 0, 0)
OFFSETS = {(a.part, a.name): index for index, a in enumerate(TABLE)}


@dataclass(frozen=True)
class Scratch:
    """The probe's own objects: every name starts with ``base`` (random), the keywords were free."""

    base: str
    keywords: tuple[str, str]
    list_id: int


@dataclass
class Round:
    number: int
    kind: str  # "forms" | "clear" | "remove"
    desired: DesiredAccount
    # What each attribute was written as: (part, name, request index or -1) -> Written
    written: dict[tuple[Part, str, int], Written] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.desired.lists[0].name


def total_rounds() -> int:
    return rounds() + 1  # the forms, the clear round, the remove round


class Builder:
    def __init__(self, scratch: Scratch):
        self.scratch = scratch

    def build(self, number: int) -> Round:
        forms = total_rounds() - 2
        kind = "forms" if number < forms else ("clear" if number == forms else "remove")
        self._round = Round(number, kind, DesiredAccount([], AccountSettings(), [], digest="doctor-probe"))
        self._number = min(number, forms - 1)
        d = DesiredList(name=self.scratch.base + str(self._take(Part.LIST, "name").value), source=SOURCE)
        d.id = self.scratch.list_id
        d.fields = {name: self._take(Part.LIST, name).value for name in LIST_FIELDS}
        d.keyword_names = self._keywords()
        self._opt_in(d)
        if kind != "remove":
            d.webhooks = [self._webhook()]
            d.custom_fields = [self._custom_field()]
        else:
            d.webhooks, d.custom_fields = [], []
        self._round.desired.lists.append(d)
        return self._round

    def _take(self, part: Part, name: str, index: int = -1, shift: int = 0) -> Written:
        attr: Attribute = next(a for a in TABLE if a.part is part and a.name == name)
        if self._round.kind != "forms" and attr.clearable:
            written = Written(attr.clear, Form.CLEARED)
        else:
            written = attr.value(self._number, OFFSETS[(part, name)] + shift)
        self._round.written[(part, name, index)] = written
        return written

    def _keywords(self) -> list[str]:
        written = self._take(Part.LIST, "keyword_names")
        if written.form is Form.CLEARED:
            return []
        keyword = self.scratch.keywords[written.value]
        return [keyword.lower() if written.form is Form.LOWERCASE else keyword]

    def _opt_in(self, d: DesiredList) -> None:
        d.bypass_opt_in_response = bool(self._take(Part.OPT_IN, "bypass_opt_in_response").value)
        if self._round.kind == "remove":
            d.opt_in_type, d.opt_in_requests = "single", []
            self._round.written[(Part.OPT_IN, "opt_in_type", -1)] = Written("single", Form.CLEARED)
            self._round.written[(Part.OPT_IN, "opt_in_requests", -1)] = Written([], Form.CLEARED)
            return
        d.opt_in_type = "double"
        self._round.written[(Part.OPT_IN, "opt_in_type", -1)] = Written("double", Form.VALUE)
        self._round.written[(Part.OPT_IN, "opt_in_requests", -1)] = Written(2, Form.VALUE)
        first = self._request(0, self._take(Part.REQUEST, "collected_data", 0).value)
        first["success_action"] = self._take(Part.REQUEST, "success_action", 0).value
        second = self._request(1, "yes")
        second["success_action"] = "optinsubscriber"  # the last request subscribes: the schema's rule
        d.opt_in_requests = [first, second]

    def _request(self, index: int, collected: str) -> dict[str, Any]:
        request: dict[str, Any] = {"collected_data": collected}
        for name in ("request_message", "retry_message", "no_response_message", "opt_in_message"):
            request[name] = self._take(Part.REQUEST, name, index, shift=index).value
        request["second_opt_in_message"] = self._take(Part.REQUEST, "second_opt_in_message", index, index).value
        request["follow_up"] = bool(self._take(Part.REQUEST, "follow_up", index, index).value)
        hour = self._take(Part.REQUEST, "follow_up_hour", index, index).value
        request["follow_up_hour"] = hour if request["follow_up"] else None
        return request

    def _webhook(self) -> DesiredWebhook:
        url = str(self._take(Part.WEBHOOK, "callback_url").value)
        events = {event: bool(self._take(Part.WEBHOOK, event).value) for event in WEBHOOK_EVENTS}
        return DesiredWebhook(url, events, SOURCE)

    def _custom_field(self) -> DesiredCustomField:
        key = str(self._take(Part.CUSTOM_FIELD, "key").value)
        attrs = {
            name: self._take(Part.CUSTOM_FIELD, name).value
            for name in (
                "label",
                "content_type",
                "max_length",
                "pattern",
                "should_validate_regex_via_api",
                "default_value",
            )
        }
        if attrs["label"] is None:
            attrs["label"] = "tatango-iac probe"
        return DesiredCustomField(key, attrs, SOURCE)
