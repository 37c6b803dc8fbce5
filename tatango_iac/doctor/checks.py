"""Read-only checks of the configured account: does its API answer the way the tool reads it?

A handful of calls: the account, the short codes, the list index (and its page 2), and
the webhooks and custom fields of as many lists as it takes to find some (wherever the
account has them, not only in its first lists), within CHILD_CALLS calls. Each answer is compared with what the
tool relies on: envelopes and paging, field names and types, unknown fields, timestamps.
Never a value is printed that could be a secret: field names, types and counts only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Callable, Iterable, Optional

from tatango_iac.api import coerce
from tatango_iac.api.client import ApiError, TatangoClient
from tatango_iac.doctor.report import FAIL, NOTE, OK, SKIP, WARN, Verdict
from tatango_iac.model import LIST_FIELDS, LIST_FLAG_FIELDS, OPT_IN_REQUEST_FIELDS, WEBHOOK_EVENTS

Kind = Callable[[Any, str], Any]
CHILD_CALLS = 20  # the most calls spent looking for lists that have webhooks and custom fields


def _text(value: Any, where: str) -> Any:
    return coerce.as_text(value, where)


LIST_SHAPE: dict[str, Kind] = {
    "id": coerce.as_int,
    "name": coerce.as_text,
    "keyword_names": coerce.as_str_list,
    "opt_in_type": _text,
    "opt_in_requests": lambda v, w: coerce.opt_in_requests(v, w, set()),
    "counts": lambda v, w: v,
    **{f: coerce.as_flag_or_text if f in LIST_FLAG_FIELDS else _text for f in LIST_FIELDS},
}
WEBHOOK_SHAPE: dict[str, Kind] = {
    "id": coerce.as_int,
    "list_id": coerce.as_int,
    "callback_url": coerce.as_text,
    "enabled": coerce.as_bool,
    "created_at": _text,
    "updated_at": _text,
    **dict.fromkeys(WEBHOOK_EVENTS, coerce.as_bool),
}
FIELD_SHAPE: dict[str, Kind] = {
    "key": coerce.as_text,
    "label": _text,
    "content_type": _text,
    "pattern": _text,
    "default_value": _text,
    "max_length": coerce.as_int_or_null,
    "should_validate_regex_via_api": coerce.as_bool,
}
FIELD_EXTRAS = {"list_id", "can_insert", "can_segment", "created_at", "updated_at", "mask"}
REQUEST_SHAPE = set(OPT_IN_REQUEST_FIELDS) | {"id", "list_id", "bypass_opt_in_response", "created_at", "updated_at"}
_EXACT: dict[Kind, Callable[[Any], bool]] = {
    coerce.as_int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    coerce.as_bool: lambda v: isinstance(v, bool),
    coerce.as_int_or_null: lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool)),
}


class Shape:
    """What a set of answers held, field by field, compared with what the tool reads."""

    def __init__(self, expected: dict[str, Kind], known: Iterable[str] = ()):
        self.expected, self.known = expected, set(expected) | set(known)
        self.items = 0
        self.missing: dict[str, int] = defaultdict(int)
        self.coerced: set[str] = set()
        self.bad: dict[str, str] = {}
        self.unknown: set[str] = set()

    def add(self, item: Any) -> None:
        if not isinstance(item, dict):
            self.bad["(item)"] = type(item).__name__
            return
        self.items += 1
        for name, read in self.expected.items():
            if name not in item:
                self.missing[name] += 1
                continue
            value = item[name]
            try:
                read(value, name)
            except coerce.ShapeError:
                self.bad[name] = type(value).__name__
                continue
            exact = _EXACT.get(read)
            if exact is not None and value is not None and not exact(value):
                self.coerced.add(name)
        self.unknown |= set(item) - self.known

    def verdicts(self, what: str) -> list[Verdict]:
        if not self.items:
            return [Verdict(f"{what}: field names and types", "no object to look at in this account", SKIP)]
        out = []
        if self.bad:
            shown = ", ".join(f"{k} ({v})" for k, v in sorted(self.bad.items()))
            out.append(
                Verdict(
                    f"{what}: every value has a readable type",
                    f"unreadable: {shown}",
                    FAIL,
                    "plan stops with an error naming the field and value",
                )
            )
        if self.missing:
            shown = ", ".join(sorted(self.missing))
            out.append(
                Verdict(
                    f"{what}: every field the tool manages is reported",
                    f"not reported: {shown}",
                    WARN,
                    "those fields are unknown: never compared, the plan says it cannot check them",
                )
            )
        if self.coerced:
            out.append(
                Verdict(
                    f"{what}: numbers and booleans have JSON types",
                    f"as strings: {', '.join(sorted(self.coerced))}",
                    WARN,
                    "coerced where read; a type difference alone never plans a change",
                )
            )
        if not out:
            out.append(Verdict(f"{what}: field names and types", f"as the tool reads them ({self.items} seen)", OK))
        if self.unknown:
            out.append(
                Verdict(
                    f"{what}: no fields beyond those the tool knows",
                    f"also: {', '.join(sorted(self.unknown)[:12])}",
                    NOTE,
                    "ignored",
                )
            )
        return out


def _iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


class Checks:
    def __init__(self, client: TatangoClient):
        self.client = client
        self.verdicts: list[Verdict] = []
        self.timestamps: list[str] = []
        self.lists_seen = 0  # lists on the index's first page: the probe's budget counts its pages

    def add(self, *verdicts: Verdict) -> None:
        self.verdicts.extend(verdicts)

    def run(self) -> list[Verdict]:
        if not self.credentials():
            return self.verdicts
        self.shortcodes()
        lists = self.list_index()
        if lists is not None:
            self.children(lists)
        self.timestamp_verdict()
        return self.verdicts

    def credentials(self) -> bool:
        try:
            account = self.client.me()
        except ApiError as exc:
            if exc.status == 401:
                observed, why = f"HTTP 401: {exc.error or 'unauthorized'}", "TATANGO_EMAIL or TATANGO_API_KEY is wrong"
            elif exc.status is None:
                observed, why = exc.message, "no answer: check TATANGO_API_URL and the network"
            elif exc.non_json:
                observed, why = exc.message, "a firewall or proxy answered, not the API: check allow-lists"
            else:
                observed, why = exc.message, "the account endpoint failed"
            self.add(Verdict("credentials are accepted (GET /accounts/me)", observed, FAIL, why))
            return False
        self.add(Verdict("credentials are accepted (GET /accounts/me)", f"account id {account.get('id', '?')}", OK))
        return True

    def shortcodes(self) -> None:
        try:
            codes = self.client.shortcodes()
        except ApiError as exc:
            self.add(Verdict("the account has short codes", exc.message, FAIL, "keywords cannot be tested or claimed"))
            return
        if len(codes) == 1:
            self.add(Verdict("the account has one short code", f"1: {codes[0]}", OK))
        elif codes:
            self.add(
                Verdict(
                    "the account has one short code",
                    f"{len(codes)}: {', '.join(codes)}",
                    WARN,
                    "set account.shortcode in the configuration",
                )
            )
        else:
            self.add(Verdict("the account has one short code", "none", FAIL, "keywords cannot be tested or claimed"))

    def list_index(self) -> Optional[list[dict[str, Any]]]:
        payload = self.client.request("GET", "/lists", params={"per_page": 1000})
        items = payload.get("lists")
        envelope = [k for k in ("per_page", "count", "page", "pages_count") if k not in payload]
        if not isinstance(items, list):
            self.add(
                Verdict(
                    "the list index has its 'lists' key",
                    f"keys: {', '.join(sorted(payload))}",
                    FAIL,
                    "every read stops with an error naming the endpoint",
                )
            )
            return None
        self.add(
            Verdict(
                "the list index carries its paging envelope",
                "complete" if not envelope else f"missing: {', '.join(envelope)}",
                OK if not envelope else WARN,
                "without pages_count only one page is read; without count the total cannot be checked",
            )
        )
        per_page = payload.get("per_page")
        honoured = per_page in (1000, "1000") or (
            payload.get("count") is not None and len(items) == _int(payload.get("count"))
        )
        self.add(
            Verdict(
                "per_page=1000 is honoured (fewest calls)",
                f"per_page {per_page}, {len(items)} list(s) on page 1 of {payload.get('pages_count')}",
                OK if honoured else WARN,
                "pages are followed by pages_count: more calls, same result",
            )
        )
        self.lists_seen = max(len(items), _int(payload.get("count")) or 0)
        self.paging(payload, items)
        shape = Shape(LIST_SHAPE)
        requests_ = Shape(dict(coerce.REQUEST_READERS), REQUEST_SHAPE)
        for item in items:
            shape.add(item)
            for request in (item.get("opt_in_requests") or []) if isinstance(item, dict) else []:
                requests_.add(request)
                self._stamps(request)
        self.add(*shape.verdicts("lists"))
        if requests_.items:
            self.add(*requests_.verdicts("opt-in requests"))
        return items

    def paging(self, payload: dict[str, Any], items: list[Any]) -> None:
        count = _int(payload.get("count"))
        if count is None or count < 2 or len(items) < 2:
            self.add(Verdict("the page parameter is honoured", "fewer than 2 lists: not tested", SKIP))
            return
        second = self.client.request("GET", "/lists", params={"per_page": 1, "page": 2}).get("lists") or []
        expected = items[1].get("id") if isinstance(items[1], dict) else None
        got = second[0].get("id") if second and isinstance(second[0], dict) else None
        ok = got is not None and str(got) == str(expected)
        self.add(
            Verdict(
                "the page parameter is honoured (per_page=1&page=2 is the 2nd list)",
                "yes" if ok else f"got id {got}, expected id {expected}",
                OK if ok else FAIL,
                "pages are de-duplicated and counted: a read that does not add up stops with an error",
            )
        )

    def children(self, lists: list[Any]) -> None:
        ids = [item.get("id") for item in lists if isinstance(item, dict) and item.get("id") is not None]
        hooks, fields = Shape(WEBHOOK_SHAPE), Shape(FIELD_SHAPE, FIELD_EXTRAS)
        paged = None
        spent = searched = 0
        for list_id in ids:
            if (hooks.items and fields.items) or spent + (not hooks.items) + (not fields.items) > CHILD_CALLS:
                break
            searched += 1
            spent += (not hooks.items) + (not fields.items)
            if not hooks.items:
                for hook in (
                    self.client.request("GET", f"/lists/{list_id}/webhooks", params={"per_page": 1000}).get("webhooks")
                    or []
                ):
                    hooks.add(hook)
                    self._stamps(hook)
            if not fields.items:
                answer = self.client.request("GET", f"/lists/{list_id}/custom_fields", params={"per_page": 1000})
                paged = "pages_count" in answer
                for field in answer.get("custom_fields") or []:
                    fields.add(field)
                    self._stamps(field)
        self.add(*hooks.verdicts("webhooks"), *fields.verdicts("custom fields"))
        if ids and not (hooks.items and fields.items):
            self.add(
                Verdict(
                    "webhooks and custom fields are found to check",
                    f"searched {searched} of {len(ids)} list(s) in {spent} call(s) (at most {CHILD_CALLS})",
                    NOTE if searched < len(ids) else OK,
                    "what was not found is not checked",
                )
            )
        if paged is not None:
            self.add(
                Verdict(
                    "the custom-field index is read in one call",
                    "paged (pages_count present)" if paged else "one unpaged answer",
                    NOTE if paged else OK,
                    "every index is paged by pages_count when present",
                )
            )

    def _stamps(self, item: Any) -> None:
        if isinstance(item, dict):
            self.timestamps += [item[k] for k in ("created_at", "updated_at") if isinstance(item.get(k), str)]

    def timestamp_verdict(self) -> None:
        if not self.timestamps:
            self.add(Verdict("timestamps are ISO 8601", "none seen", SKIP))
            return
        odd = [t for t in self.timestamps if not _iso(t)]
        self.add(
            Verdict(
                "timestamps are ISO 8601",
                f"{len(self.timestamps) - len(odd)} of {len(self.timestamps)} " + (f"(e.g. {odd[0]!r})" if odd else ""),
                OK if not odd else WARN,
                "timestamps are never compared nor fingerprinted",
            )
        )


def _int(value: Any) -> Optional[int]:
    try:
        return coerce.as_int(value, "") if value is not None else None
    except coerce.ShapeError:
        return None
