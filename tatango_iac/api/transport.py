"""Pure helpers of the client: URL checks, Retry-After, transport error wording (no HTTP here)."""

from __future__ import annotations

import ipaddress
from typing import Optional
from urllib.parse import urlsplit

from tatango_iac.api.errors import ConfigurationError
from tatango_iac.errors import TatangoIacError
from tatango_iac.secrets import redact


class WaitTooLong(TatangoIacError):
    def __init__(self, seconds: float, cap: float):
        self.seconds, self.cap = seconds, cap
        super().__init__(f"{seconds:.0f} s")


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header; an invalid or negative one counts as absent."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP date or garbage: the reference does not promise the header at all
    return seconds if seconds >= 0 else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"TATANGO_API_URL must be an http(s) URL, got {redact(url)!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError("TATANGO_API_URL uses plain http: refused except on loopback (use https)")
    return url.rstrip("/")


def transport_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("RemoteDisconnected", "Connection refused", "Connection reset", "timed out", "Max retries exceeded"):
        if marker in text:
            return {
                "Max retries exceeded": "connection failed after retries",
                "RemoteDisconnected": "connection dropped",
            }.get(marker, marker)
    return type(exc).__name__
