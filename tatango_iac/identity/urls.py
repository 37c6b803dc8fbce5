"""The identity of a webhook: its callback URL in canonical form."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """Scheme and host lower case, default port dropped: the same webhook however the server stores it."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return str(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), userinfo + host, parts.path, parts.query, parts.fragment))
