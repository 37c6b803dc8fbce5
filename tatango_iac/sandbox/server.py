"""The sandbox HTTP server: auth, fault injection, rate limiting and a control API.

Control API (no auth; loopback only), for tests and demos:
  GET/PUT  /_sandbox/state    read or replace the whole state (seed it)
  POST     /_sandbox/reset    back to the default state
  GET/PUT  /_sandbox/faults   fault injection settings (see Faults)
  GET      /_sandbox/requests the API requests received (method, path, body, status)
  POST     /_sandbox/requests/clear
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import math
import random
import re
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

from tatango_iac.sandbox import routes
from tatango_iac.sandbox.profiles import Profile
from tatango_iac.sandbox.state import SandboxError, State

SANDBOX_EMAIL = "sandbox@tatango-iac.local"
SANDBOX_API_KEY = "sandbox-api-key"
FAULT_KINDS = ("429", "500", "502", "503", "html403", "drop_before", "drop_after")
# Scripted only: answer with {"status", "json" or "text", "headers"} instead of the emulator, before
# ("answer") or after ("answer_after", the write is committed) the handler runs.
SCRIPTED_KINDS = ("answer", "answer_after", "hold")
# "hold" (scripted only): the write commits, then its own answer waits "ms" milliseconds (a signal can arrive
# while a committed create's answer is still on its way).
WAF_PAGE = (
    "<!DOCTYPE html><html><head><title>403 Forbidden - Request blocked</title></head>"
    "<body><h1>Request blocked</h1><p>The request was blocked by the web application firewall.</p>"
    "</body></html>"
)


@dataclass
class Faults:
    """Fault injection. Random faults draw from a seeded generator: runs are repeatable.

    script: [{"method": "POST", "path": "regex", "fault": "drop_after", "times": 1}] fires first.
    """

    seed: int = 0
    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    writes_only: bool = False
    latency_ms: int = 0
    rate_limit: Optional[int] = None  # calls allowed per rate_window seconds
    rate_window: float = 3600.0
    burst: Optional[int] = None  # with rate_limit: a token bucket of this size instead of a sliding window
    retry_after: bool = True
    script: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Faults":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        faults = cls(**known)
        bad = [k for k in faults.kinds if k not in FAULT_KINDS] + [
            s.get("fault") for s in faults.script if s.get("fault") not in FAULT_KINDS + SCRIPTED_KINDS
        ]
        if bad:
            raise ValueError(f"unknown fault kinds {bad}; known: {', '.join(FAULT_KINDS)}")
        return faults


class _MonotonicClock:
    def monotonic(self) -> float:
        return time.monotonic()


class _Drop(Exception):
    """Close the connection without answering."""


class SandboxServer:
    def __init__(
        self,
        state_file: Optional[str] = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        clock: Any = None,
        faults: Optional[Faults] = None,
        state: Optional[State] = None,
        profile: Optional[Profile] = None,
    ):
        self.state = state or State(state_file, profile=profile)
        if profile is not None:
            self.state.profile = profile
        if state_file and not state:
            self.state.flush()
        self.faults = faults or Faults()
        self.clock = clock or _MonotonicClock()
        self.random = random.Random(self.faults.seed)
        self.recent_calls: list[float] = []
        self.bucket: Optional[tuple[float, float]] = None  # (tokens, at) for the burst limiter
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self.httpd.daemon_threads = True
        self.thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{routes.API_PREFIX}"

    @property
    def control_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/_sandbox"

    def start(self) -> "SandboxServer":
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="tatango-sandbox", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.state.flush()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def set_faults(self, faults: Faults) -> None:
        with self.lock:
            self.faults = faults
            self.random = random.Random(faults.seed)
            self.recent_calls = []
            self.bucket = None

    def api_requests(self, method: Optional[str] = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if method is None or r["method"] == method]

    # ---------------------------------------------------------------- faults

    def _rate_limited(self) -> Optional[int]:
        limit = self.faults.rate_limit
        if limit is None:
            return None
        now = self.clock.monotonic()
        window = self.faults.rate_window
        if self.faults.burst:
            return self._token_bucket(now, limit / window, self.faults.burst)
        self.recent_calls = [t for t in self.recent_calls if t > now - window]
        if len(self.recent_calls) >= limit:
            return max(1, int(self.recent_calls[0] + window - now + 0.999))
        self.recent_calls.append(now)
        return None

    def _token_bucket(self, now: float, per_second: float, burst: int) -> Optional[int]:
        """One account's budget: ``burst`` calls at once, refilled at the rate (1200/h: one every 3 s)."""
        tokens, at = self.bucket or (float(burst), now)
        tokens = min(float(burst), tokens + (now - at) * per_second)
        if tokens >= 1.0:
            self.bucket = (tokens - 1.0, now)
            return None
        self.bucket = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / per_second))

    def _pick_fault(self, method: str, path: str, writes: bool) -> Any:
        for step in self.faults.script:
            if step.get("times", 1) <= 0:
                continue
            if step.get("method", method) == method and re.search(step.get("path", ""), path):
                step["times"] = step.get("times", 1) - 1
                return step if step["fault"] in SCRIPTED_KINDS else step["fault"]
        if self.faults.rate and (writes or not self.faults.writes_only) and self.random.random() < self.faults.rate:
            kinds = [k for k in self.faults.kinds if writes or k != "drop_after"] or ["500"]
            return self.random.choice(kinds)
        return None

    # ---------------------------------------------------------------- server

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "TatangoSandbox/1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms a call.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read /_sandbox/requests
                pass

            def do_GET(self) -> None:
                server._dispatch(self, "GET")

            def do_POST(self) -> None:
                server._dispatch(self, "POST")

            def do_PUT(self) -> None:
                server._dispatch(self, "PUT")

            def do_DELETE(self) -> None:
                server._dispatch(self, "DELETE")

            def do_PATCH(self) -> None:
                server._dispatch(self, "PATCH")

        return Handler

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        headers: Optional[dict] = None,
        html: Optional[str] = None,
    ) -> None:
        body = (html if html is not None else json.dumps(payload)).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8" if html is not None else "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _drop(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        with contextlib.suppress(OSError):  # the client may have gone already
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _authorized(self, handler: BaseHTTPRequestHandler) -> bool:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            email, _, key = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return email == self.state.data["account"]["email"] and key == self.state.data["api_key"]

    def _dispatch(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            self._send(handler, 400, {"status": "error", "error": "Invalid JSON body"})
            return
        if parts.path.startswith("/_sandbox"):
            self._control(handler, method, parts.path, body)
            return
        record = {"method": method, "path": parts.path, "query": query, "body": body, "status": None}
        with self.lock:
            self.requests.append(record)
        try:
            status, payload, headers = self._api(method, parts.path, query, body, handler)
        except _Drop:
            record["status"] = "dropped"
            self._drop(handler)
            return
        record["status"] = status
        if isinstance(status, tuple):  # a scripted text body
            _kind, code, text = status
            record["status"] = code
            self._send(handler, code, None, headers, html=text)
        elif status == "html403":
            self._send(handler, 403, None, html=WAF_PAGE)
        elif payload is None:
            self._send(handler, status, None, headers, html="")
        else:
            self._send(handler, status, payload, headers)

    def _api(self, method: str, path: str, query: dict[str, str], body: Any, handler: BaseHTTPRequestHandler):
        if self.faults.latency_ms:
            time.sleep(self.faults.latency_ms / 1000.0)
        if not self._authorized(handler):
            return 401, {"status": "error", "error": "API key authorization failure"}, None
        route, params, path_known = routes.match(method, path)
        with self.lock:
            retry_after = self._rate_limited()
            fault = None if retry_after else self._pick_fault(method, path, bool(route and route.writes))
        if retry_after:
            headers = {"Retry-After": str(retry_after)} if self.faults.retry_after else None
            return 429, {"status": "error", "error": "Rate limit exceeded"}, headers
        if fault == "429":
            return (
                429,
                {"status": "error", "error": "Rate limit exceeded"},
                ({"Retry-After": "1"} if self.faults.retry_after else None),
            )
        if fault in ("500", "502", "503"):
            return int(fault), {"status": "error", "error": "We had a problem with our server. Try again later."}, None
        if fault == "html403":
            return "html403", None, None
        if isinstance(fault, dict) and fault["fault"] == "answer":
            return self._scripted(fault)
        if fault == "drop_before":
            raise _Drop()
        if route is None:
            if path_known:
                return 405, {"status": "error", "error": "Method Not Allowed"}, None
            return 404, {"status": "error", "error": "The specified endpoint could not be found."}, None
        with self.state.lock:
            try:
                status, payload = self._handle(route, params, body, query, path)
            except SandboxError as exc:
                return exc.status, {"status": "error", "error": exc.error}, None
        if fault == "drop_after":
            raise _Drop()  # the write is committed, but the client never hears so
        if isinstance(fault, dict) and fault["fault"] == "hold":
            time.sleep(float(fault.get("ms", 1000)) / 1000.0)
        elif isinstance(fault, dict):
            return self._scripted(fault)  # the write is committed; the answer is the script's
        if status < 300:
            status, payload = self.state.profile.respond(method, status, payload)
        return status, payload, None

    def _handle(
        self, route: routes.Route, params: dict[str, str], body: Any, query: dict[str, str], path: str
    ) -> tuple[int, Any]:
        """Run a handler through the profile's hooks (state lock held)."""
        profile, state = self.state.profile, self.state
        if not route.writes:
            view = profile.read_view(state.data) if route.method == "GET" else None
            if view is None:
                return route.handler(state, params, body, query)
            state.save()  # the lag moved on
            return route.handler(State(data=view, profile=profile), params, body, query)
        # Only a profile that answers from the old account pays for a copy of it.
        wants_old = route.method == "PUT" and type(profile).put_answer is not Profile.put_answer
        old = copy.deepcopy(state.data) if wants_old else None
        profile.before_write(state.data)
        status, payload = route.handler(state, params, profile.incoming(body), query)
        state.save()
        if old is not None and status < 300:
            payload = profile.put_answer(path, old, payload)
        return status, payload

    @staticmethod
    def _scripted(step: dict[str, Any]) -> tuple[Any, Any, Optional[dict]]:
        status = int(step.get("status", 200))
        if "text" in step:
            return ("text", status, step["text"]), None, step.get("headers")
        return status, step.get("json"), step.get("headers")

    def _control(self, handler: BaseHTTPRequestHandler, method: str, path: str, body: Any) -> None:
        name = path[len("/_sandbox") :].strip("/")
        if name == "state" and method == "GET":
            self._send(handler, 200, self.state.snapshot())
        elif name == "state" and method == "PUT" and isinstance(body, dict):
            self.state.replace(body)
            self._send(handler, 200, {"status": "OK"})
        elif name == "reset" and method == "POST":
            from tatango_iac.sandbox.state import default_state

            self.state.replace(default_state())
            self._send(handler, 200, {"status": "OK"})
        elif name == "faults" and method == "GET":
            self._send(handler, 200, asdict(self.faults))
        elif name == "faults" and method == "PUT" and isinstance(body, dict):
            try:
                self.set_faults(Faults.from_dict(body))
            except (TypeError, ValueError) as exc:
                self._send(handler, 422, {"status": "error", "error": str(exc)})
                return
            self._send(handler, 200, {"status": "OK"})
        elif name == "requests" and method == "GET":
            self._send(handler, 200, {"requests": self.api_requests()})
        elif name == "requests/clear" and method == "POST":
            with self.lock:
                self.requests.clear()
            self._send(handler, 200, {"status": "OK"})
        else:
            self._send(handler, 404, {"status": "error", "error": "Unknown sandbox control endpoint"})
