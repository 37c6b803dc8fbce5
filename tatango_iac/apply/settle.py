"""Settle a write whose answer disagrees with what was sent: the account decides, not the answer (§13).

An answer is not proof either way. A server may answer a PUT with the object as it was
before the write (rendered before its reload) or echo the request; only a re-read of the
object says what the account holds. So when ``verify`` finds that an answer disagrees,
the object is read again:

- it holds what was sent: the write is done (one line says the answer was wrong);
- it still holds what the plan saw before the write: not visible yet; read again with the
  bounded, announced wait of the read-back;
- it holds anything else: the write was not applied as sent (the apply stops, naming
  what the answer and the account hold).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from tatango_iac.api import coerce
from tatango_iac.api.client import TatangoClient
from tatango_iac.apply.verify import WriteMismatch
from tatango_iac.engine.plan import Action
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import WEBHOOK_EVENTS, normalize_keyword

Reader = Callable[[TatangoClient, int, Action], Any]


def _keywords(values: Any) -> list[str]:
    return sorted({normalize_keyword(str(k)) for k in values or []})


def _read_list(client: TatangoClient, list_id: int) -> Any:
    return coerce.live_list(client.get_list(list_id), "list", set())


def _held_keywords(client: TatangoClient, list_id: int, action: Action) -> Any:
    return _keywords(_read_list(client, list_id).keyword_names)


def _opt_in_form(action: Action, opt_in_type: Any, requests_: Any) -> Any:
    """What each request collects, in order (as the answer check compares), and the type if it is not the one sent."""
    collected = [r.get("collected_data") for r in requests_ or []]
    if opt_in_type == action.payload["opt_in_type"]:
        return collected
    return {"opt_in_type": opt_in_type, "opt_in_requests": collected}


def _held_opt_in(client: TatangoClient, list_id: int, action: Action) -> Any:
    lst = _read_list(client, list_id)
    return _opt_in_form(action, lst.opt_in_type, lst.opt_in_requests if isinstance(lst.opt_in_requests, list) else [])


def _held_webhook(client: TatangoClient, list_id: int, action: Action) -> Any:
    url = canonical_url(action.payload["callback_url"])
    for raw in client.list_webhooks(list_id):
        hook = coerce.live_webhook(raw, "webhook", set(), list_id)
        if canonical_url(hook.callback_url) == url:
            return [url, {e: hook.events.get(e) for e in WEBHOOK_EVENTS if e in action.payload}]
    return None


def _sent(action: Action) -> Any:
    payload = action.payload
    if action.resource == "keywords" or action.resource == "list":
        return _keywords(payload.get("keyword_names"))
    if action.resource == "opt_in_settings":
        return _opt_in_form(action, payload["opt_in_type"], payload.get("opt_in_requests"))
    return [canonical_url(payload["callback_url"]), {e: payload[e] for e in WEBHOOK_EVENTS if e in payload}]


def _before(action: Action) -> Any:
    before = action.before or {}
    if action.resource == "keywords":
        return _keywords(before.get("keyword_names"))
    if action.resource == "opt_in_settings":
        return _opt_in_form(action, before.get("opt_in_type", "single"), before.get("opt_in_requests"))
    if action.resource == "webhook" and action.action == "update":
        return [
            canonical_url(before.get("callback_url", "")),
            {e: before.get(e) for e in WEBHOOK_EVENTS if e in action.payload},
        ]
    return None


READERS: dict[str, Reader] = {"keywords": _held_keywords, "opt_in_settings": _held_opt_in, "webhook": _held_webhook}


def settle(
    client: TatangoClient,
    action: Action,
    list_id: Optional[int],
    mismatch: WriteMismatch,
    max_wait: float,
    on_event: Callable[[str], None],
) -> None:
    """Return when the account holds what was sent; raise the mismatch (with what it holds) otherwise."""
    read = READERS.get(action.resource)
    if read is None or list_id is None or action.action == "delete":
        raise mismatch
    sent, before = _sent(action), _before(action)
    start, delay = client.clock.monotonic(), 1.0
    while True:
        held = read(client, list_id, action)
        if held == sent:
            on_event(
                f"{action.address}: the answer showed {mismatch.what} otherwise ({mismatch}), but a re-read "
                "shows the account holds what was sent; counted as done"
            )
            return
        waited = client.clock.monotonic() - start
        if held != before or waited >= max_wait:
            confirmed = WriteMismatch(mismatch.what, sent, held, mismatch.assumption)
            why = (
                "a re-read confirms the account holds what is shown as got"
                if held != before
                else f"the write is not visible: after {waited:.0f} s a re-read still holds what the plan saw before it"
            )
            confirmed.args = (f"{confirmed}; {why}",)
            raise confirmed
        delay = min(delay, max_wait - waited)
        on_event(
            f"{action.address}: the answer disagrees with what was sent and a re-read still shows the old "
            f"value; reading again in {delay:.0f} s (at most {max_wait:.0f} s)"
        )
        client.clock.sleep(delay)
        delay *= 2
