"""Values that must never be printed, and how to show them instead.

A string that came from ``${NAME}`` is a ``Templated``: it compares and sends as the
resolved value, but every output shows ``.template``. URLs also get their
secret-looking query parameters and userinfo passwords masked.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "****"
_SECRET_PARAM = re.compile(r"(token|key|secret|password|passwd|pwd|sig|signature|auth)", re.IGNORECASE)


class Templated(str):
    """A string resolved from ``${...}``; ``template`` is what may be shown."""

    template: str

    def __new__(cls, value: str, template: str) -> "Templated":
        obj = super().__new__(cls, value)
        obj.template = template
        return obj

    def __repr__(self) -> str:  # never leak the resolved value through a repr
        return f"Templated({self.template!r})"

    def __reduce__(self):  # deepcopy/pickle keep the template
        return (Templated, (str(self), self.template))


def is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.search(name))


_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def _shown_segment(segment: str) -> str:
    key, eq, value = segment.partition("=")
    if not eq or _REFERENCE.match(value) or not is_secret_param(unquote_plus(key)):
        return segment  # a ${NAME} template names the secret without revealing it
    return f"{key}={MASK}"


def _looks_like_token(segment: str) -> bool:
    """A long path segment mixing letters and digits (Slack-style hook URLs) is treated as a secret."""
    return (len(segment) >= 24 and not segment.startswith("${") and any(c.isdigit() for c in segment)
            and any(c.isalpha() for c in segment))


def mask_url(url: str) -> str:
    """Mask secret-looking query parameters and a userinfo password in a URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    path = "/".join(MASK if _looks_like_token(seg) else seg for seg in parts.path.split("/"))
    # Edit the raw query text: decoding and re-encoding would show a URL that differs from the real one.
    query = "&".join(_shown_segment(segment) for segment in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def url_has_secret(url: str) -> bool:
    return mask_url(url) != url


def display(value: Any, url: bool = False) -> Any:
    """The printable form of a value: templates for ${...}, masked secrets in URLs."""
    if isinstance(value, Templated):
        return mask_url(value.template) if url else value.template
    if isinstance(value, str) and url:
        return mask_url(value)
    if isinstance(value, dict):
        return {k: display(v, url=url or k == "callback_url") for k, v in value.items()}
    if isinstance(value, list):
        return [display(v, url=url) for v in value]
    return value


def scrub(text: str, *secrets: str | None) -> str:
    """Remove known secret strings (the API key) from free text such as error bodies."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text
