"""The Tatango API client: auth, pacing, retries, pagination, error mapping.

This is the only module that imports ``requests``. Retries of idempotent verbs (GET,
PUT, DELETE) on 5xx/connection errors are urllib3's ``Retry``; a POST is retried only
on failures to connect (nothing was sent), never after the request may have reached
the server: the applier decides what to do then (re-read, §6). A 429 is handled here
for every verb (nothing was written): wait ``Retry-After`` (capped) or back off with
jitter, and slow the pace down, since another job may share the account's budget.
Sleeping goes through an injectable clock so the test suite never sleeps for real.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tatango_iac.api.credentials import api_url, credential_names
from tatango_iac.api.errors import AnswerError, ApiError, ConfigurationError, error_text, html_title
from tatango_iac.api.pacing import DEFAULT_RATE, Clock, Pacer, interval_for
from tatango_iac.api.pages import read_all_pages
from tatango_iac.api.transport import WaitTooLong, check_api_url, parse_retry_after, transport_reason
from tatango_iac.digests import DigestKey
from tatango_iac.secrets import REDACTOR, redact

log = logging.getLogger("tatango_iac.client")

DEFAULT_API_URL = "https://app.tatango.com/api/v2"
DEFAULT_MAX_WAIT = 300.0  # seconds: a longer Retry-After fails clearly instead of hanging
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
# POSTs that only read (a keyword availability test): safe to retry like a GET.
READ_ONLY_POST_SUFFIXES = ("/test_keyword",)
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RATE_LIMIT_WAITS = 50  # 429s that name their Retry-After: not counted as retries, but not endless either
ANNOUNCE_WAITS_OVER = 10.0

__all__ = ["AnswerError", "ApiError", "Clock", "ConfigurationError", "Exchange", "TatangoClient", "check_api_url"]


@dataclass
class Exchange:
    """One request and its final answer, for recorders (doctor --record)."""

    method: str
    url: str
    body: Any
    status: int
    headers: dict[str, str]
    text: str


def _retry_class(client: "TatangoClient") -> type[Retry]:
    """A Retry that sleeps on our clock, through our pacer (retries are calls too), and says so."""

    class PacedRetry(Retry):
        def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
            # A 429 is the client's own business (TatangoClient.request): it slows the pace down too.
            return status_code != 429 and super().is_retry(method, status_code, has_retry_after)

        def parse_retry_after(self, retry_after: str) -> float:
            seconds = parse_retry_after(retry_after)
            return 0.0 if seconds is None else seconds

        def sleep(self, response=None) -> None:
            delay = parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
            if delay is not None and delay > client.max_wait:
                raise WaitTooLong(delay, client.max_wait)
            if delay is None:
                delay = max(self.get_backoff_time(), client.min_retry_delay)
            last = self.history[-1] if self.history else None
            if last is not None:
                what = f"HTTP {last.status}" if last.status else "connection failed"
                path = urlsplit(last.url or "").path.replace(client.path_prefix, "", 1)
                client.event(
                    f"{last.method} {path}: {what}; retrying in {delay:.0f} s "
                    f"(retry {len(self.history)} of {client.retries})"
                )
            client.clock.sleep(delay)
            client.pacer.wait()

    return PacedRetry


class _MethodAwareAdapter(HTTPAdapter):
    """Picks the retry policy by HTTP method, and paces every first attempt."""

    def __init__(self, idempotent: Retry, post: Retry, pacer: Pacer):
        super().__init__(max_retries=idempotent)
        self._idempotent, self._post, self._pacer = idempotent, post, pacer

    def send(self, request, **kwargs):  # type: ignore[override]
        safe = request.method in IDEMPOTENT or (
            request.method == "POST" and request.path_url.split("?")[0].endswith(READ_ONLY_POST_SUFFIXES)
        )
        self.max_retries = self._idempotent if safe else self._post
        self._pacer.wait()
        return super().send(request, **kwargs)


def _env_number(env: Mapping[str, str], name: str, default: float, what: str) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be {what}, got {raw!r}") from None
    if value < 0:
        raise ConfigurationError(f"{name} must be 0 or more")
    return value


class TatangoClient:
    def __init__(
        self,
        base_url: str,
        email: str,
        api_key: str,
        *,
        rate_per_hour: float = DEFAULT_RATE,
        clock: Optional[Clock] = None,
        retries: int = 5,
        backoff_factor: float = 2.0,
        backoff_jitter: float = 1.0,
        min_retry_delay: float = 1.0,
        timeout: float = 30.0,
        max_wait: float = DEFAULT_MAX_WAIT,
        on_event: Optional[Callable[[str], None]] = None,
        seed: Optional[int] = None,
    ):
        self.base_url = check_api_url(base_url)
        self.path_prefix = urlsplit(self.base_url).path
        self._email = email
        self._api_key = api_key
        REDACTOR.register_credentials(email, api_key)
        self.clock = clock or Clock()
        self.retries, self.min_retry_delay, self.max_wait = retries, min_retry_delay, max_wait
        self.backoff_factor, self.backoff_jitter = backoff_factor, backoff_jitter
        self.random = random.Random(seed)
        self.on_event = on_event
        self.observers: list[Callable[[Exchange], None]] = []
        self.pacer = Pacer(interval=interval_for(rate_per_hour), clock=self.clock, random=self.random)
        retry_cls = _retry_class(self)
        common: dict[str, Any] = {
            "total": retries,
            "redirect": 0,
            "other": 0,
            "backoff_factor": backoff_factor,
            "backoff_jitter": backoff_jitter,
            "backoff_max": 60.0,
            "respect_retry_after_header": True,
            "raise_on_status": False,
            "raise_on_redirect": False,
        }
        idempotent = retry_cls(
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=IDEMPOTENT | {"POST"},
            **common,
        )  # POST here: read-only ones only
        # A POST that creates is retried only where nothing can have been written: no connection made.
        post = retry_cls(connect=retries, read=0, status=0, status_forcelist=set(), allowed_methods={"POST"}, **common)
        self.session = requests.Session()
        self.session.auth = (email, api_key)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "tatango-iac"})
        # Proxy and CA settings come from the environment: resolve them once, not on every call.
        settings = self.session.merge_environment_settings(self.base_url, {}, None, None, None)
        self.session.trust_env = False
        self._send_options: dict[str, Any] = {
            "proxies": settings["proxies"],
            "verify": settings["verify"],
            "cert": settings["cert"],
        }
        adapter = _MethodAwareAdapter(idempotent, post, self.pacer)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.timeout = timeout

    def digest_key(self) -> DigestKey:
        """Keys the digests a plan carries (digests.py): derived from credentials that never leave the runner."""
        return DigestKey.from_credentials(self._email, self._api_key)

    def __repr__(self) -> str:
        return f"TatangoClient(base_url={self.base_url!r}, email={self._email!r}, api_key='****')"

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str],
        *,
        rate_per_hour: Optional[float] = None,
        max_wait: Optional[float] = None,
        account: Optional[str] = None,
        **kwargs: Any,
    ) -> "TatangoClient":
        names = credential_names(account)
        email = env.get(names.email, "")
        key = env.get(names.api_key, "")
        missing = names.missing(env)
        if missing:
            whose = f" for account '{account}' (account.name)" if account else ""
            raise ConfigurationError(
                f"set {' and '.join(missing)} in the environment{whose} (credentials are never flags)"
            )
        if rate_per_hour is None:
            rate_per_hour = _env_number(env, "TATANGO_RATE_LIMIT", DEFAULT_RATE, "a number of calls per hour")
        if max_wait is None:
            max_wait = _env_number(env, "TATANGO_MAX_WAIT", DEFAULT_MAX_WAIT, "a number of seconds")
        return cls(
            api_url(names, env) or DEFAULT_API_URL, email, key, rate_per_hour=rate_per_hour, max_wait=max_wait, **kwargs
        )

    @property
    def calls(self) -> int:
        """HTTP requests started (retries included)."""
        return self.pacer.calls

    def event(self, message: str) -> None:
        log.debug("%s", message)
        if self.on_event:
            self.on_event(redact(message))

    # ------------------------------------------------------------------ core

    def request(self, method: str, path: str, *, body: Any = None, params: Optional[dict] = None) -> dict[str, Any]:
        counted = free = 0
        while True:
            response = self._send(method, path, body, params)
            if response.status_code != 429:
                self.pacer.recovered()
                return self._decode(response, method, path)
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            self.pacer.slow_down()
            if retry_after is None:
                counted += 1
                if counted > self.retries:
                    raise ApiError(
                        f"HTTP 429: still rate limited after {self.retries} retries",
                        status=429,
                        method=method,
                        path=path,
                    )
                delay = min(self.min_retry_delay * self.backoff_factor ** (counted - 1), 60.0)
            else:
                free += 1
                if retry_after > self.max_wait:
                    raise self._too_long(method, path, retry_after)
                if free > RATE_LIMIT_WAITS:
                    raise ApiError(
                        f"HTTP 429: still rate limited after {RATE_LIMIT_WAITS} waits",
                        status=429,
                        method=method,
                        path=path,
                    )
                delay = retry_after
            delay += self.random.uniform(0, self.backoff_jitter)  # two jobs on one account must not retry in step
            self.event(
                f"{method} {path}: rate limited (HTTP 429); waiting {delay:.0f} s"
                if delay >= ANNOUNCE_WAITS_OVER
                else f"{method} {path}: rate limited (HTTP 429); slowing down"
            )
            self.clock.sleep(delay)

    def _too_long(self, method: str, path: str, seconds: float) -> ApiError:
        return ApiError(
            f"the API asked to wait {seconds:.0f} s before retrying (Retry-After), more than the "
            f"{self.max_wait:.0f} s cap (--max-wait / TATANGO_MAX_WAIT): stopping instead of hanging",
            status=429,
            method=method,
            path=path,
        )

    def _send(self, method: str, path: str, body: Any, params: Optional[dict]) -> requests.Response:
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
                **self._send_options,
            )
        except WaitTooLong as exc:
            raise self._too_long(method, path, exc.seconds) from None
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            log.debug("%s %s: transport error: %s", method, path, reason)
            raise ApiError(f"no answer from the API ({reason})", status=None, method=method, path=path) from None
        log.debug("%s %s -> %s", method, path, response.status_code)
        for observe in self.observers:
            observe(Exchange(method, response.url, body, response.status_code, dict(response.headers), response.text))
        return response

    def _decode(self, response: requests.Response, method: str, path: str) -> dict[str, Any]:
        status = response.status_code
        if 300 <= status < 400:
            location = redact(response.headers.get("Location", "(no Location header)"))
            raise ApiError(
                f"HTTP {status}: the API answered with a redirect to {location}; redirects are not "
                "followed (check TATANGO_API_URL)",
                status=status,
                method=method,
                path=path,
            )
        text = response.text
        if status == 204 or not text.strip():
            if status < 300 and method in ("PUT", "DELETE"):
                return {}  # an empty answer to a PUT or DELETE is success
            if status >= 400:
                raise ApiError(f"HTTP {status} with an empty body", status=status, method=method, path=path)
            raise AnswerError(
                f"HTTP {status} with an empty body where the API promises JSON", status=status, method=method, path=path
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            kind = response.headers.get("Content-Type", "unknown content type").split(";")[0]
            title = html_title(text)
            detail = f": {redact(title)}" if title else ""
            if status >= 400:
                raise ApiError(
                    f"HTTP {status} with a non-JSON body ({kind}{detail}); a firewall or proxy may have "
                    "answered instead of the API",
                    status=status,
                    method=method,
                    path=path,
                    non_json=True,
                )
            raise AnswerError(
                f"HTTP {status} with a body that is not a JSON object ({kind}{detail})",
                status=status,
                method=method,
                path=path,
            )
        if status >= 400 or payload.get("status") == "error":
            message = redact(error_text(payload))
            raise ApiError(f"HTTP {status}: {message}", status=status, method=method, path=path, error=message)
        return payload

    def paginate(self, path: str, key: str) -> list[dict[str, Any]]:
        """Every item of an index: follow pages_count, de-duplicate ids, and refuse a short account."""
        return read_all_pages(self.request, path, key)

    # ------------------------------------------------------------- endpoints

    def me(self) -> dict[str, Any]:
        return unwrap(self.request("GET", "/accounts/me"), "account", "GET", "/accounts/me")

    def shortcodes(self) -> list[str]:
        payload = self.request("GET", "/shortcodes")
        if not isinstance(payload.get("shortcodes"), list):
            raise AnswerError("the answer has no 'shortcodes' list", status=200, method="GET", path="/shortcodes")
        return [str(code) for code in payload["shortcodes"]]

    def test_keyword(self, shortcode: str, keyword: str) -> tuple[bool, Optional[str]]:
        path = f"/shortcodes/{shortcode}/test_keyword"
        payload = self.request("POST", path, body={"keyword_name": keyword})
        verdict = payload.get("keyword_name")
        if verdict not in ("available", "unavailable"):
            raise AnswerError(
                f"keyword_name is {verdict!r}, not 'available' or 'unavailable'", status=200, method="POST", path=path
            )
        return verdict == "available", payload.get("error")

    # Reads and creates return the object the answer promises (``{"list": {...}}`` -> the list);
    # updates and deletes return the whole answer, which may be empty (204).

    def list_lists(self) -> list[dict[str, Any]]:
        return self.paginate("/lists", "lists")

    def get_list(self, list_id: int) -> dict[str, Any]:
        path = f"/lists/{list_id}"
        return unwrap(self.request("GET", path), "list", "GET", path)

    def create_list(self, fields: dict[str, Any], keyword_names: Optional[list[str]] = None) -> dict[str, Any]:
        body = dict(fields)
        if keyword_names is not None:
            body["keyword_names"] = list(keyword_names)
        return unwrap(self.request("POST", "/lists", body={"list": body}), "list", "POST", "/lists")

    def update_list(self, list_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}", body={"list": dict(fields)})

    def delete_list(self, list_id: int) -> dict[str, Any]:
        return self.request("DELETE", f"/lists/{list_id}")

    def set_keywords(self, list_id: int, keyword_names: list[str]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}/keywords", body={"keyword_names": list(keyword_names)})

    def set_opt_in_settings(self, list_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}/opt_in_settings", body=dict(settings))

    def list_custom_fields(self, list_id: int) -> list[dict[str, Any]]:
        return self.paginate(f"/lists/{list_id}/custom_fields", "custom_fields")

    def create_custom_field(self, list_id: int, field_: dict[str, Any]) -> dict[str, Any]:
        path = f"/lists/{list_id}/custom_fields"
        return unwrap(self.request("POST", path, body={"custom_field": dict(field_)}), "custom_field", "POST", path)

    def delete_custom_field(self, list_id: int, key: str) -> dict[str, Any]:
        return self.request("DELETE", f"/lists/{list_id}/custom_fields", body={"key": key})

    def list_webhooks(self, list_id: int) -> list[dict[str, Any]]:
        return self.paginate(f"/lists/{list_id}/webhooks", "webhooks")

    def get_webhook(self, list_id: int, webhook_id: int) -> dict[str, Any]:
        path = f"/lists/{list_id}/webhooks/{webhook_id}"
        return unwrap(self.request("GET", path), "webhook", "GET", path)

    def create_webhook(self, list_id: int, webhook: dict[str, Any]) -> dict[str, Any]:
        path = f"/lists/{list_id}/webhooks"
        return unwrap(self.request("POST", path, body={"webhook": dict(webhook)}), "webhook", "POST", path)

    def update_webhook(self, list_id: int, webhook_id: int, webhook: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}/webhooks/{webhook_id}", body={"webhook": dict(webhook)})

    def delete_webhook(self, list_id: int, webhook_id: int) -> dict[str, Any]:
        return self.request("DELETE", f"/lists/{list_id}/webhooks/{webhook_id}")


def unwrap(payload: dict[str, Any], key: str, method: str, path: str) -> dict[str, Any]:
    """The object an answer promises under ``key`` (``{"list": {...}}``), or an AnswerError."""
    value = payload.get(key)
    if not isinstance(value, dict):
        raise AnswerError(f"the answer has no '{key}' object", status=200, method=method, path=path)
    return value
