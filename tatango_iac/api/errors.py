"""API errors, and how error bodies are turned into one readable line."""

from __future__ import annotations

import re
from typing import Any, Optional

from tatango_iac.errors import TatangoIacError

_NOT_FOUND = re.compile(r"^\s*[\w .'-]{0,40}\bnot found\.?\s*$", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
TITLE_SCAN_LIMIT = 65_536  # a page's title is near its top; never scan a huge body


class ApiError(TatangoIacError):
    """Any failed API call. ``status`` is None for transport errors (no HTTP answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int],
        method: str,
        path: str,
        error: Optional[str] = None,
        non_json: bool = False,
    ):
        self.status = status
        self.non_json = non_json  # the body was not JSON: something other than the API answered (a firewall?)
        self.method = method
        self.path = path
        self.error = error  # the API's own error text, when it sent one (redacted)
        self.message = message
        super().__init__(f"{method} {path}: {message}")

    def user_message(self) -> str:
        return f"API call failed: {self}"

    @property
    def transport(self) -> bool:
        return self.status is None

    @property
    def uncertain(self) -> bool:
        """The request may or may not have been carried out (no answer, or a 5xx)."""
        return self.status is None or self.status >= 500

    @property
    def not_found(self) -> bool:
        """The API's own JSON "X not found" answer, as opposed to a proxy's or router's 404 page."""
        return self.status == 404 and bool(self.error) and bool(_NOT_FOUND.match(self.error or ""))


class AnswerError(ApiError):
    """An answer arrived but does not have the shape the API promises (missing key, wrong type,
    a page that does not add up). After a write, the write may have been carried out."""

    @property
    def uncertain(self) -> bool:
        return True


class ConfigurationError(TatangoIacError):
    """Bad credentials or URL settings: a usage error, reported before any call."""


def _flatten_errors(errors: Any) -> str:
    """Rails-style ``{"errors": {"name": ["is too long"]}}`` or ``["..."]`` as one line."""
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                parts.append(f"{field} {message}".strip())
        return "; ".join(parts)
    if isinstance(errors, list):
        return "; ".join(str(e) for e in errors)
    return str(errors)


def error_text(payload: dict[str, Any]) -> str:
    """The API's error message from any of the shapes seen: error, errors, message."""
    error = payload.get("error")
    if isinstance(error, str) and error.strip():
        return error.strip()
    if isinstance(error, dict):
        return str(error.get("message") or _flatten_errors(error))
    if payload.get("errors"):
        return _flatten_errors(payload["errors"])
    if isinstance(payload.get("message"), str):
        return payload["message"]
    status = payload.get("status")
    return str(status) if status and status != "error" else "the answer carried no error text"


def html_title(text: str) -> str:
    match = _TITLE.search(text[:TITLE_SCAN_LIMIT])
    return " ".join(match.group(1).split())[:80] if match else ""
