"""Turn the API's JSON answers into the typed live model, checking every value where it is read.

The reference promises little about types, so: integers are also read from numeric
strings, booleans from true/false, "true"/"false", 1/0 and "1"/"0"; anything else is
an error naming the field and the value, never a guess. A key the answer does not
carry is ``UNKNOWN`` (and recorded in ``unreported``), never ``false`` or ``""``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional

from tatango_iac.errors import TatangoIacError
from tatango_iac.model import (
    CUSTOM_FIELD_ATTRS,
    LIST_FIELDS,
    LIST_FLAG_FIELDS,
    OPT_IN_REQUEST_FIELDS,
    UNKNOWN,
    WEBHOOK_EVENTS,
    LiveCustomField,
    LiveList,
    LiveWebhook,
)

_INTEGER = re.compile(r"^\s*-?\d+\s*$")
_TRUE, _FALSE = ("true", "1"), ("false", "0")


class ShapeError(TatangoIacError):
    """A value in an answer that is not of the type the tool relies on."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ShapeError(where, f"expected an integer, got {_shown(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise ShapeError(where, f"expected an integer, got {_shown(value)}")


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ShapeError(where, f"expected a boolean, got {_shown(value)}")


def as_text(value: Any, where: str) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    raise ShapeError(where, f"expected text or null, got {_shown(value)}")


def as_flag_or_text(value: Any, where: str) -> Any:
    """email_subscribe/email_unsubscribe: the reference describes them as flags and as addresses."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        return lowered in _TRUE if lowered in _TRUE + _FALSE else value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ShapeError(where, f"expected a boolean, an e-mail address or null, got {_shown(value)}")


def as_int_or_null(value: Any, where: str) -> Optional[int]:
    return None if value is None else as_int(value, where)


def as_str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ShapeError(where, f"expected a list, got {_shown(value)}")
    return [_required_text(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _required_text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a numeric keyword or name sent back as a number
    raise ShapeError(where, f"expected text, got {_shown(value)}")


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ShapeError(where, f"expected an object, got {_shown(raw)}")
    return raw


def _optional(
    raw: dict[str, Any], key: str, where: str, read: Callable[[Any, str], Any], unreported: set[str], kind: str
) -> Any:
    if key not in raw:
        unreported.add(f"{kind}.{key}")
        return UNKNOWN
    return read(raw[key], f"{where}.{key}")


def _required(raw: dict[str, Any], key: str, where: str, read: Callable[[Any, str], Any]) -> Any:
    if key not in raw:
        raise ShapeError(where, f"the answer has no '{key}'")
    return read(raw[key], f"{where}.{key}")


def _opt_in_type(value: Any, where: str) -> Any:
    if value is None:
        return UNKNOWN
    if value in ("single", "double"):
        return value
    raise ShapeError(where, f"expected 'single' or 'double', got {_shown(value)}")


REQUEST_READERS: dict[str, Callable[[Any, str], Any]] = {
    **dict.fromkeys(OPT_IN_REQUEST_FIELDS, as_text),
    "follow_up": lambda v, w: False if v is None else as_bool(v, w),
    "follow_up_hour": as_int_or_null,
}


def opt_in_request(raw: Any, where: str, unreported: set[str]) -> dict[str, Any]:
    raw = _object(raw, where)
    out = {
        name: _optional(raw, name, where, REQUEST_READERS[name], unreported, "opt_in_request")
        for name in OPT_IN_REQUEST_FIELDS
    }
    if "bypass_opt_in_response" in raw and raw["bypass_opt_in_response"] is not None:
        out["bypass_opt_in_response"] = as_bool(raw["bypass_opt_in_response"], f"{where}.bypass_opt_in_response")
    return out


def opt_in_requests(value: Any, where: str, unreported: set[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(where, f"expected a list, got {_shown(value)}")
    return [opt_in_request(item, f"{where}[{i}]", unreported) for i, item in enumerate(value)]


def _subscribers(raw: dict[str, Any], where: str) -> Optional[int]:
    counts = raw.get("counts")
    if not isinstance(counts, dict) or counts.get("subscribers") is None:
        return None
    return as_int(counts["subscribers"], f"{where}.counts.subscribers")


def live_list(raw: Any, where: str, unreported: set[str]) -> LiveList:
    raw = _object(raw, where)
    fields = {
        name: _optional(raw, name, where, as_flag_or_text if name in LIST_FLAG_FIELDS else as_text, unreported, "list")
        for name in LIST_FIELDS
    }
    requests_ = _optional(
        raw, "opt_in_requests", where, lambda v, w: opt_in_requests(v, w, unreported), unreported, "list"
    )
    # The API reports bypass_opt_in_response only inside each opt-in request.
    bypass = requests_[0].get("bypass_opt_in_response") if requests_ is not UNKNOWN and requests_ else None
    return LiveList(
        id=_required(raw, "id", where, as_int),
        name=_required(raw, "name", where, _required_text),
        fields=fields,
        keyword_names=_required(raw, "keyword_names", where, lambda v, w: [] if v is None else as_str_list(v, w)),
        opt_in_type=_optional(raw, "opt_in_type", where, _opt_in_type, unreported, "list"),
        opt_in_requests=requests_,
        bypass_opt_in_response=bypass,
        subscribers=_subscribers(raw, where),
    )


def live_webhook(raw: Any, where: str, unreported: set[str], list_id: int) -> LiveWebhook:
    raw = _object(raw, where)
    events = {
        event: _optional(raw, event, where, lambda v, w: False if v is None else as_bool(v, w), unreported, "webhook")
        for event in WEBHOOK_EVENTS
    }
    enabled = raw.get("enabled")
    return LiveWebhook(
        id=_required(raw, "id", where, as_int),
        list_id=as_int(raw["list_id"], f"{where}.list_id") if raw.get("list_id") is not None else list_id,
        callback_url=_required(raw, "callback_url", where, _required_text),
        events=events,
        enabled=None if enabled is None else as_bool(enabled, f"{where}.enabled"),
    )


_FIELD_READERS: dict[str, Callable[[Any, str], Any]] = {
    "label": as_text,
    "content_type": as_text,
    "pattern": as_text,
    "default_value": as_text,
    "max_length": as_int_or_null,
    "should_validate_regex_via_api": lambda v, w: False if v is None else as_bool(v, w),
}


def live_custom_field(raw: Any, where: str, unreported: set[str]) -> LiveCustomField:
    raw = _object(raw, where)
    return LiveCustomField(
        key=_required(raw, "key", where, _required_text),
        attrs={a: _optional(raw, a, where, _FIELD_READERS[a], unreported, "custom_field") for a in CUSTOM_FIELD_ATTRS},
    )
