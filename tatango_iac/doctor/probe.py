"""``doctor --write-probe``: test the write assumptions of §10 on a scratch list, then remove it.

The scratch list has a unique name and two random keywords (tested for availability
first). First the §10 assumptions (each step reads back what it wrote, so a verdict
never rests on an answer alone), then the round trip of every writable attribute
(``roundtrip``). The clean-up (``cleanup``) runs in a ``finally``, also after a failure,
Ctrl-C or SIGTERM, and finds the probe's objects by their unique name.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Optional

from tatango_iac.api import coerce
from tatango_iac.api.client import ApiError, Exchange, TatangoClient
from tatango_iac.doctor.cleanup import Cleanup
from tatango_iac.doctor.report import FAIL, NOTE, OK, WARN, Verdict
from tatango_iac.doctor.rounds import Scratch
from tatango_iac.doctor.roundtrip import RoundTrip, budget
from tatango_iac.errors import TatangoIacError
from tatango_iac.identity.urls import canonical_url
from tatango_iac.model import WEBHOOK_EVENTS

PROBE_URL = "HTTPS://Probe.Tatango-IaC.invalid:443/hook?probe=1"
EVENTS = {"subscribe": True, "unsubscribe": False, "message_sent": True, "reply_received": False, "cleaned": True}
PROBE_WAIT = 30.0  # seconds a probe read waits for its write to show (reads that lag writes)
FIELD_KEY = "tatango_iac_probe"
FIELD: dict[str, Any] = {"key": FIELD_KEY, "label": "tatango-iac probe", "content_type": "text", "max_length": 5}


def _request(collected: str, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "collected_data": collected,
        "request_message": f"tatango-iac probe: reply with {collected}",
        "retry_message": None,
        "follow_up": False,
        "follow_up_hour": None,
        "no_response_message": None,
        "opt_in_message": None,
        "second_opt_in_message": None,
        "success_action": action,
        **extra,
    }


ASSUMPTION_CALLS = 30  # at most, the §10 checks before the round trip (the create included)
CLEANUP_CALLS = 6  # at most, with the re-read that confirms it (more only while reads lag the deletes)


class Probe:
    def __init__(
        self,
        client: TatangoClient,
        rng: Optional[random.Random] = None,
        on_event: Callable[[str], None] = lambda message: None,
    ):
        self.client = client
        self.rng = rng or random.Random()
        self.on_event = on_event
        self.base = f"tatango-iac probe {self.rng.getrandbits(24):06x}"  # unique: every scratch name starts so
        self.keywords: tuple[str, ...] = ()
        self.verdicts: list[Verdict] = []
        self.list_id: Optional[int] = None
        self.hook_ids: list[int] = []
        self.field_keys: list[str] = []
        self.statuses: dict[str, set[int]] = {"POST": set(), "DELETE": set()}
        self.lagged = 0.0  # the longest a write took to show in a read
        client.observers.append(self._seen)

    @property
    def lid(self) -> int:
        """The scratch list's id (the write checks run only once it exists)."""
        if self.list_id is None:
            raise RuntimeError("the scratch list does not exist")
        return self.list_id

    def _seen(self, exchange: Exchange) -> None:
        if exchange.method in self.statuses and "test_keyword" not in exchange.url:
            self.statuses[exchange.method].add(exchange.status)

    def add(self, assumption: str, observed: str, verdict: str, consequence: str = "") -> None:
        self.verdicts.append(Verdict(assumption, observed, verdict, consequence))

    def run(self, lists_in_account: int = 0) -> tuple[list[Verdict], bool]:
        """The verdicts, and whether the probe was interrupted (its clean-up ran anyway)."""
        interrupted = False
        stated = ASSUMPTION_CALLS + budget(lists_in_account + 1) + CLEANUP_CALLS
        first = self.client.calls
        self.on_event(
            f"doctor --write-probe: at most {stated} API calls (about {stated * 3 // 60 + 1} min at the API's "
            "1 call every 3 s), more only while reads lag writes; it removes everything it creates"
        )
        try:
            self._steps()
        except KeyboardInterrupt:
            interrupted = True
            self.add("the probe runs to its end", "interrupted (Ctrl-C or SIGTERM)", FAIL, "cleaned up below")
        except ApiError as exc:
            self.add("every probe step is answered", exc.message, FAIL, "the probe stopped here; cleaned up below")
        except TatangoIacError as exc:  # an answer the tool cannot read, a re-read the planner refuses
            self.add("every probe step is answered", str(exc), FAIL, "the probe stopped here; cleaned up below")
        finally:
            cleanup = Cleanup(self.client, self.base, self.keywords)
            self.verdicts.append(cleanup.run(self.list_id, self.hook_ids, self.field_keys))
            if cleanup.signalled:
                interrupted = True
                self.add(
                    "the probe runs to its end",
                    f"{cleanup.signalled} during the clean-up",
                    FAIL,
                    "held until the clean-up finished",
                )
        self._statuses()
        spent = self.client.calls - first
        self.add(
            "the write probe stays within its stated call budget",
            f"{spent} calls of at most {stated} stated",
            OK if spent <= stated else NOTE,
            "more calls were spent re-reading writes that did not show yet",
        )
        return self.verdicts, interrupted

    # ------------------------------------------------------------------ steps

    def _steps(self) -> None:
        first, second = self._free_keywords()
        self.keywords = (first, second)
        record = self.client.create_list({"name": self.base}, [first])
        self.list_id = coerce.as_int(record.get("id"), "list.id")
        answered = {str(k).upper() for k in record.get("keyword_names") or []}
        self.add(
            "a list create claims its keyword_names",
            "yes" if answered == {first} else f"answered {sorted(answered)}",
            OK if answered == {first} else FAIL,
            "apply stops: the answer is checked",
        )
        self._keywords(first, second)
        self._opt_in()
        self._webhook()
        self._custom_field()
        lag_before = self.lagged
        trip = RoundTrip(self.client, Scratch(self.base, (first, second), self.lid), self.on_event)
        try:
            trip.run()
        finally:
            self.verdicts += trip.verdicts()
        self.lagged = max(lag_before, trip.waited)
        self.add(
            "a write shows in the next read",
            "yes" if not self.lagged else f"only after up to {self.lagged:.0f} s",
            OK if not self.lagged else NOTE,
            "apply's read-back waits for its writes to show (--verify-wait, default 60 s)",
        )

    def _free_keywords(self) -> tuple[str, str]:
        code = self.client.shortcodes()[0]
        found: list[str] = []
        for _attempt in range(6):
            keyword = f"TIQ{self.rng.getrandbits(28):07X}"
            if self.client.test_keyword(code, keyword)[0]:
                found.append(keyword)
            if len(found) == 2:
                return found[0], found[1]
        raise ApiError(
            "no free random keyword found for the probe",
            status=None,
            method="POST",
            path=f"/shortcodes/{code}/test_keyword",
        )

    def _live(self, until: Callable[[dict[str, Any]], bool] = lambda record: True) -> dict[str, Any]:
        """The scratch list, read again (bounded wait) while it does not show the write yet (§13: reads may lag)."""
        record: dict[str, Any] = self._settled(lambda: self.client.get_list(self.lid), until)
        return record

    def _settled(self, read: Callable[[], Any], until: Callable[[Any], bool]) -> Any:
        """Read until ``until`` holds, waiting (1, 2, 4... s, at most PROBE_WAIT in all) while it does not."""
        start, delay = self.client.clock.monotonic(), 1.0
        while True:
            try:
                value = read()
            except ApiError as exc:
                if not exc.not_found or self.client.clock.monotonic() - start >= PROBE_WAIT:
                    raise
                value = None  # a lagging read may not find an object created a moment ago
            if value is not None and until(value):
                return value
            waited = self.client.clock.monotonic() - start
            if waited >= PROBE_WAIT and value is not None:
                self.lagged = max(self.lagged, waited)
                return value
            self.lagged = max(self.lagged, waited + delay)
            self.client.clock.sleep(min(delay, PROBE_WAIT))
            delay *= 2

    def _keywords(self, first: str, second: str) -> None:
        answer = self.client.set_keywords(self.lid, [second])
        now = {
            str(k).upper()
            for k in self._live(lambda rec: {str(k).upper() for k in rec.get("keyword_names") or []} != {first}).get(
                "keyword_names"
            )
            or []
        }
        if now == {second}:
            self.add("a keywords PUT replaces the list's keywords", "replaced", OK)
        elif now == {first, second}:
            self.add(
                "a keywords PUT replaces the list's keywords",
                "added to them",
                FAIL,
                "apply stops at the first keyword change: 'the API did not apply keyword_names as sent'",
            )
        else:
            self.add("a keywords PUT replaces the list's keywords", f"left {sorted(now)}", FAIL, "apply stops")
        if "keyword_names" not in answer:
            self.add(
                "a keywords PUT answers with the keywords",
                "no keyword_names in the answer",
                NOTE,
                "the write cannot be checked from its answer",
            )
        self.client.set_keywords(self.lid, [])  # release them at once

    def _opt_in(self) -> None:
        two = [_request("zip_code", "nextrequest"), _request("yes", "optinsubscriber")]
        self.client.set_opt_in_settings(self.lid, {"opt_in_type": "double", "opt_in_requests": two})
        self.client.set_opt_in_settings(
            self.lid, {"opt_in_type": "double", "opt_in_requests": [_request("yes", "optinsubscriber")]}
        )
        count = len(
            self._live(lambda rec: len(rec.get("opt_in_requests") or []) not in (0, 2)).get("opt_in_requests") or []
        )
        self.add(
            "an opt-in PUT replaces the requests",
            "replaced" if count == 1 else f"{count} requests after sending 1 over 2",
            OK if count == 1 else FAIL,
            "apply stops: 'the API did not apply opt_in_requests as sent'",
        )
        partial = {
            "collected_data": "yes",
            "request_message": "tatango-iac probe: reply YES",
            "success_action": "optinsubscriber",
        }
        self.client.set_opt_in_settings(self.lid, {"opt_in_type": "double", "opt_in_requests": [partial]})

        def carries(request: Any) -> bool:
            return isinstance(request, dict) and request.get("request_message") == partial["request_message"]

        requests_ = self._live(lambda rec: any(carries(r) for r in rec.get("opt_in_requests") or [])).get(
            "opt_in_requests"
        ) or [{}]
        request = next((r for r in requests_ if carries(r)), requests_[0])
        filled = [k for k in ("retry_message", "no_response_message", "opt_in_message") if request.get(k)]
        self.add(
            "opt-in keys left out stay empty",
            "filled by the server: " + ", ".join(filled) if filled else "they stay empty",
            NOTE if filled else OK,
            "the tool sends every key (null/false): defaults never apply to its writes",
        )
        self.client.set_opt_in_settings(self.lid, {"opt_in_type": "single"})

    def _webhook(self) -> None:
        hook = self.client.create_webhook(self.lid, {"callback_url": PROBE_URL, **EVENTS})
        hook_id = coerce.as_int(hook.get("id"), "webhook.id")
        self.hook_ids.append(hook_id)
        missing = [e for e in WEBHOOK_EVENTS if e not in hook]
        wrong = [e for e in WEBHOOK_EVENTS if e in hook and coerce.as_bool(hook[e], e) != EVENTS[e]]
        if wrong:
            self.add("a webhook answer echoes the five events", f"different: {', '.join(wrong)}", FAIL, "apply stops")
        elif missing:
            self.add(
                "a webhook answer echoes the five events",
                f"not reported: {', '.join(missing)}",
                WARN,
                "those events are unknown: not compared, the plan says so",
            )
        else:
            self.add("a webhook answer echoes the five events", "all five, as sent", OK)
        stored = str(hook.get("callback_url"))
        same = stored == PROBE_URL
        self.add(
            "the callback URL is stored as sent",
            "as sent"
            if same
            else "normalised (scheme, host, port)"
            if canonical_url(stored) == canonical_url(PROBE_URL)
            else "changed",
            OK if same else (NOTE if canonical_url(stored) == canonical_url(PROBE_URL) else FAIL),
            "URLs are matched in canonical form",
        )
        self.client.update_webhook(self.lid, hook_id, {"subscribe": False})
        after = self._settled(
            lambda: self.client.get_webhook(self.lid, hook_id), lambda h: h.get("subscribe") in (False, "false")
        )
        reset = [
            e
            for e in WEBHOOK_EVENTS
            if e != "subscribe" and e in after and EVENTS[e] and not coerce.as_bool(after[e], e)
        ]
        self.add(
            "a webhook PUT leaves the events it omits alone",
            "reset to false: " + ", ".join(reset) if reset else "left alone",
            NOTE if reset else OK,
            "the tool always sends all five events",
        )
        self.client.delete_webhook(self.lid, hook_id)
        self.hook_ids.remove(hook_id)
        self._delete_missing(lambda: self.client.delete_webhook(self.lid, hook_id))

    def _delete_missing(self, delete: Callable[[], Any]) -> None:
        try:
            delete()
        except ApiError as exc:
            self.add(
                "deleting a missing object answers the API's own 404 'not found'",
                exc.message,
                OK if exc.not_found else WARN,
                "such a delete is counted as done only then",
            )
            return
        self.add(
            "deleting a missing object answers the API's own 404 'not found'", "it succeeds", NOTE, "counted as done"
        )

    def _custom_field(self) -> None:
        created = self.client.create_custom_field(self.lid, FIELD)
        self.field_keys.append(FIELD_KEY)
        self.add(
            "a custom-field create answers with the field",
            "yes" if created.get("key") == FIELD["key"] else "another key",
            OK if created.get("key") == FIELD["key"] else FAIL,
        )
        self.client.delete_custom_field(self.lid, FIELD["key"])
        keys = self._settled(
            lambda: [f.get("key") for f in self.client.list_custom_fields(self.lid)],
            lambda found: FIELD["key"] not in found,
        )
        gone = FIELD["key"] not in keys
        if gone:
            self.field_keys.remove(FIELD_KEY)
        self.add("a custom-field delete removes it", "removed" if gone else "still there", OK if gone else FAIL)

    def _statuses(self) -> None:
        for method, what in (("POST", "creates"), ("DELETE", "deletes")):
            codes = sorted(self.statuses[method])
            if codes:
                self.add(
                    f"{what} answer 2xx",
                    ", ".join(str(c) for c in codes),
                    OK if all(200 <= c < 300 or c == 404 for c in codes) else WARN,
                    "any 2xx is success; 204 needs no body",
                )
