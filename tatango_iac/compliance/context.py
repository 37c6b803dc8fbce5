"""The messages of a configured list, each with the context its rules need (the brand in
force, and which double opt-in request asks for consent)."""

from __future__ import annotations

from typing import Any, Iterator, Optional

from tatango_iac.compliance.check import MessageContext
from tatango_iac.model import LIST_MESSAGE_FIELDS, OPT_IN_MESSAGE_FIELDS, DesiredList
from tatango_iac.secrets import Templated


def checked_text(value: Any) -> str:
    """The text the rules read: a message that takes a ${...} value is read in its template form, since the
    value may be a secret and a finding may quote the text (a URL, an offer)."""
    if isinstance(value, Templated):
        return value.template
    return value if isinstance(value, str) else ""


def brand_of(lst: DesiredList, account_brand: Optional[str]) -> Optional[str]:
    """The list's own ``brand`` wins (``null`` there: no brand check for this list); else the account's."""
    return lst.brand if lst.brand_given else account_brand


def consent_request(requests: list[dict[str, Any]]) -> Optional[int]:
    """The request that asks for consent: the one collecting ``yes``, else the first of the flow."""
    for i, request in enumerate(requests):
        if request.get("collected_data") == "yes":
            return i
    return 0 if requests else None


def request_context(brand: Optional[str], requests: list[dict[str, Any]], index: int) -> MessageContext:
    return MessageContext(brand=brand, asks_consent=consent_request(requests) == index)


def list_messages(lst: DesiredList, account_brand: Optional[str]) -> Iterator[tuple[str, str, tuple, MessageContext]]:
    """(field, text as the rules read it, path in the list entry, context) for every non-empty message."""
    brand = brand_of(lst, account_brand)
    plain = MessageContext(brand=brand)
    for name in LIST_MESSAGE_FIELDS:
        value = checked_text(lst.fields.get(name))
        if value:
            yield name, value, (name,), plain
    requests = lst.opt_in_requests or []
    for i, request in enumerate(requests):
        context = request_context(brand, requests, i)
        for name in OPT_IN_MESSAGE_FIELDS:
            value = checked_text(request.get(name))
            if value:
                yield name, value, ("opt_in_requests", i, name), context
