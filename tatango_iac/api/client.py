"""The Tatango API client: auth, pacing, retries, pagination, error mapping.

This is the only module that imports ``requests``. Retries of idempotent verbs (GET,
PUT, DELETE) on 429/5xx/connection errors are urllib3's ``Retry``; a POST is retried
only on 429 and on failures to connect (nothing was sent), never after the request
may have reached the server: the applier decides what to do then (re-read, §6).
Sleeping goes through an injectable clock so the test suite never sleeps for real.
"""
from __future__ import annotations

import ipaddress
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tatango_iac.secrets import scrub

log = logging.getLogger("tatango_iac.api.client")

DEFAULT_API_URL = "https://app.tatango.com/api/v2"
DEFAULT_RATE = 1200  # calls per hour: the documented limit
PER_PAGE = 1000
IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
# POSTs that only read (a keyword availability test): safe to retry like a GET.
READ_ONLY_POST_SUFFIXES = ("/test_keyword",)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class ApiError(Exception):
    """Any failed API call. ``status`` is None for transport errors (no HTTP answer)."""

    def __init__(self, message: str, *, status: Optional[int], method: str, path: str, error: Optional[str] = None):
        self.status = status
        self.method = method
        self.path = path
        self.error = error  # the API's own "error" text, when it sent one
        self.message = message
        super().__init__(f"{method} {path}: {message}")

    @property
    def transport(self) -> bool:
        return self.status is None

    @property
    def uncertain(self) -> bool:
        """The request may or may not have been carried out (no answer, or a 5xx)."""
        return self.status is None or self.status >= 500


class ConfigurationError(Exception):
    """Bad credentials or URL settings: a usage error, reported before any call."""


class Clock:
    """Real time. Tests pass a fake with the same two methods."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass
class Pacer:
    """Keeps request starts at least ``interval`` seconds apart."""

    interval: float
    clock: Clock
    last: Optional[float] = None
    starts: list[float] = field(default_factory=list)
    on_wait: Optional[Callable[[float], None]] = None

    def wait(self) -> None:
        now = self.clock.monotonic()
        if self.last is not None and self.interval > 0:
            remaining = self.last + self.interval - now
            if remaining > 0:
                if self.on_wait:
                    self.on_wait(remaining)
                self.clock.sleep(remaining)
                now = self.clock.monotonic()
        self.last = now
        self.starts.append(now)


def _retry_class(pacer: Pacer, clock: Clock, min_delay: float) -> type[Retry]:
    """A Retry that sleeps on our clock and through our pacer (retries are calls too)."""

    class PacedRetry(Retry):
        def sleep(self, response=None) -> None:  # noqa: D401 - urllib3 hook
            delay = None
            if response is not None and self.respect_retry_after_header:
                delay = self.get_retry_after(response)
            if delay is None:
                delay = max(self.get_backoff_time(), min_delay)
            log.debug("retrying after %.2fs", delay)
            clock.sleep(delay)
            pacer.wait()

    return PacedRetry


class _MethodAwareAdapter(HTTPAdapter):
    """Picks the retry policy by HTTP method, and paces every first attempt."""

    def __init__(self, idempotent: Retry, post: Retry, pacer: Pacer):
        super().__init__(max_retries=idempotent)
        self._idempotent, self._post, self._pacer = idempotent, post, pacer

    def send(self, request, **kwargs):  # type: ignore[override]
        safe = request.method in IDEMPOTENT or (
            request.method == "POST" and request.path_url.endswith(READ_ONLY_POST_SUFFIXES))
        self.max_retries = self._idempotent if safe else self._post
        self._pacer.wait()
        return super().send(request, **kwargs)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"TATANGO_API_URL must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError("TATANGO_API_URL uses plain http: refused except on loopback (use https)")
    return url.rstrip("/")


def _html_title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return match.group(1).strip()[:80] if match else ""


class TatangoClient:
    def __init__(self, base_url: str, email: str, api_key: str, *, rate_per_hour: float = DEFAULT_RATE,
                 clock: Optional[Clock] = None, retries: int = 5, backoff_factor: float = 2.0,
                 backoff_jitter: float = 1.0, min_retry_delay: float = 1.0, timeout: float = 30.0,
                 on_wait: Optional[Callable[[float], None]] = None):
        self.base_url = check_api_url(base_url)
        self._email = email
        self._api_key = api_key
        self.clock = clock or Clock()
        interval = 3600.0 / rate_per_hour if rate_per_hour and rate_per_hour > 0 else 0.0
        self.pacer = Pacer(interval=interval, clock=self.clock, on_wait=on_wait)
        retry_cls = _retry_class(self.pacer, self.clock, min_retry_delay)
        common = dict(total=retries, redirect=0, other=0, backoff_factor=backoff_factor,
                      backoff_jitter=backoff_jitter, backoff_max=60.0, respect_retry_after_header=True,
                      raise_on_status=False, raise_on_redirect=False)
        idempotent = retry_cls(connect=retries, read=retries, status=retries, status_forcelist=RETRY_STATUSES,
                               allowed_methods=IDEMPOTENT | {"POST"}, **common)  # POST here: read-only ones only
        # A POST is retried only where nothing can have been written: 429, or no connection made.
        post = retry_cls(connect=retries, read=0, status=retries, status_forcelist={429},
                         allowed_methods={"POST"}, **common)
        self.session = requests.Session()
        self.session.auth = (email, api_key)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "tatango-iac"})
        adapter = _MethodAwareAdapter(idempotent, post, self.pacer)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"TatangoClient(base_url={self.base_url!r}, email={self._email!r}, api_key='****')"

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, rate_per_hour: Optional[float] = None, **kwargs: Any) -> "TatangoClient":
        email = env.get("TATANGO_EMAIL", "")
        key = env.get("TATANGO_API_KEY", "")
        missing = [name for name, value in (("TATANGO_EMAIL", email), ("TATANGO_API_KEY", key)) if not value]
        if missing:
            raise ConfigurationError(f"set {' and '.join(missing)} in the environment (credentials are never flags)")
        if rate_per_hour is None:
            raw = env.get("TATANGO_RATE_LIMIT")
            try:
                rate_per_hour = float(raw) if raw not in (None, "") else DEFAULT_RATE
            except ValueError:
                raise ConfigurationError(f"TATANGO_RATE_LIMIT must be a number of calls per hour, got {raw!r}") from None
            if rate_per_hour < 0:
                raise ConfigurationError("TATANGO_RATE_LIMIT must be 0 (unpaced) or more")
        return cls(env.get("TATANGO_API_URL") or DEFAULT_API_URL, email, key, rate_per_hour=rate_per_hour, **kwargs)

    @property
    def calls(self) -> int:
        """HTTP requests started (retries included)."""
        return len(self.pacer.starts)

    # ------------------------------------------------------------------ core

    def request(self, method: str, path: str, *, body: Any = None, params: Optional[dict] = None) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, json=body, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            reason = scrub(_transport_reason(exc), self._api_key)
            log.debug("%s %s: transport error: %s", method, path, reason)
            raise ApiError(f"no answer from the API ({reason})", status=None, method=method, path=path) from None
        log.debug("%s %s -> %s", method, path, response.status_code)
        return self._decode(response, method, path)

    def _decode(self, response: requests.Response, method: str, path: str) -> dict[str, Any]:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            kind = response.headers.get("Content-Type", "unknown content type").split(";")[0]
            title = _html_title(response.text)
            detail = f": {scrub(title, self._api_key)}" if title else ""
            raise ApiError(f"HTTP {status} with a non-JSON body ({kind}{detail}); a firewall or proxy may have "
                           "answered instead of the API", status=status, method=method, path=path)
        if status >= 400 or payload.get("status") == "error":
            text = scrub(str(payload.get("error") or payload.get("status") or "unknown error"), self._api_key)
            raise ApiError(f"HTTP {status}: {text}", status=status, method=method, path=path, error=text)
        return payload

    def paginate(self, path: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            payload = self.request("GET", path, params={"per_page": PER_PAGE, "page": page} if page > 1 else
                                   {"per_page": PER_PAGE})
            items.extend(payload.get(key) or [])
            if page >= int(payload.get("pages_count") or 0):
                return items
            page += 1

    # ------------------------------------------------------------- endpoints

    def me(self) -> dict[str, Any]:
        return self.request("GET", "/accounts/me")["account"]

    def shortcodes(self) -> list[str]:
        return [str(code) for code in self.request("GET", "/shortcodes").get("shortcodes") or []]

    def test_keyword(self, shortcode: str, keyword: str) -> tuple[bool, Optional[str]]:
        payload = self.request("POST", f"/shortcodes/{shortcode}/test_keyword", body={"keyword_name": keyword})
        return payload.get("keyword_name") == "available", payload.get("error")

    def list_lists(self) -> list[dict[str, Any]]:
        return self.paginate("/lists", "lists")

    def get_list(self, list_id: int) -> dict[str, Any]:
        return self.request("GET", f"/lists/{list_id}")["list"]

    def create_list(self, fields: dict[str, Any], keyword_names: Optional[list[str]] = None) -> dict[str, Any]:
        body = dict(fields)
        if keyword_names is not None:
            body["keyword_names"] = list(keyword_names)
        return self.request("POST", "/lists", body={"list": body})["list"]

    def update_list(self, list_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}", body={"list": dict(fields)})["list"]

    def delete_list(self, list_id: int) -> None:
        self.request("DELETE", f"/lists/{list_id}")

    def set_keywords(self, list_id: int, keyword_names: list[str]) -> list[str]:
        return self.request("PUT", f"/lists/{list_id}/keywords", body={"keyword_names": list(keyword_names)}).get(
            "keyword_names") or []

    def set_opt_in_settings(self, list_id: int, settings: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}/opt_in_settings", body=dict(settings))

    def list_custom_fields(self, list_id: int) -> list[dict[str, Any]]:
        return self.request("GET", f"/lists/{list_id}/custom_fields").get("custom_fields") or []

    def create_custom_field(self, list_id: int, field_: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/lists/{list_id}/custom_fields", body={"custom_field": dict(field_)})[
            "custom_field"]

    def delete_custom_field(self, list_id: int, key: str) -> None:
        self.request("DELETE", f"/lists/{list_id}/custom_fields", body={"key": key})

    def list_webhooks(self, list_id: int) -> list[dict[str, Any]]:
        return self.paginate(f"/lists/{list_id}/webhooks", "webhooks")

    def get_webhook(self, list_id: int, webhook_id: int) -> dict[str, Any]:
        return self.request("GET", f"/lists/{list_id}/webhooks/{webhook_id}")["webhook"]

    def create_webhook(self, list_id: int, webhook: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"/lists/{list_id}/webhooks", body={"webhook": dict(webhook)})["webhook"]

    def update_webhook(self, list_id: int, webhook_id: int, webhook: dict[str, Any]) -> dict[str, Any]:
        return self.request("PUT", f"/lists/{list_id}/webhooks/{webhook_id}", body={"webhook": dict(webhook)})[
            "webhook"]

    def delete_webhook(self, list_id: int, webhook_id: int) -> None:
        self.request("DELETE", f"/lists/{list_id}/webhooks/{webhook_id}")


def _transport_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("RemoteDisconnected", "Connection refused", "Connection reset", "timed out", "Max retries exceeded"):
        if marker in text:
            return {"Max retries exceeded": "connection failed after retries"}.get(marker, marker)
    return type(exc).__name__
