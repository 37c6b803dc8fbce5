"""Values that must never be printed, and how to show them instead.

A string that came from ``${NAME}`` is a ``Templated``: it compares and sends as the
resolved value, but every output shows ``.template``. URLs also get their
secret-looking parts masked: query parameters named like a secret, a userinfo
password, and long random-looking path segments (Slack-style hook URLs).

Every text the tool prints that may carry text from the API or from ``${...}``
(error bodies, HTML page titles, messages naming a value) also goes through
``redact``: it masks the secrets registered so far (the API key, resolved
``${...}`` values, the secret parts of every webhook URL seen) and every URL in it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

MASK = "****"
_SECRET_PARAM = re.compile(r"(token|key|secret|password|passwd|pwd|sig|signature|auth)", re.IGNORECASE)
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$")
MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words; they rely on display() instead


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

    def upper(self) -> "Templated":
        """Keywords are upper-cased: keep the template so the keyword is still shown as ${...}."""
        return Templated(str.upper(self), self.template)

    def strip(self, chars: str | None = None) -> "Templated":
        return Templated(str.strip(self, chars), self.template)


def is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.search(name))


def looks_like_token(segment: str) -> bool:
    """A long path segment mixing letters and digits (Slack-style hook URLs) is treated as a secret."""
    return (
        len(segment) >= 16
        and not segment.startswith("${")
        and any(c.isdigit() for c in segment)
        and any(c.isalpha() for c in segment)
    )


def _query_secret(segment: str) -> str | None:
    """The secret value of one ``key=value`` query segment, if the key names a secret."""
    key, eq, value = segment.partition("=")
    if not eq or not value or _REFERENCE.match(value) or not is_secret_param(unquote_plus(key)):
        return None  # a ${NAME} template names the secret without revealing it
    return value


def secret_parts(url: str) -> list[str]:
    """The secret substrings of a URL, as written in it: query values, token-like path segments, a password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found: list[str] = []
    userinfo = parts.netloc.rsplit("@", 1)[0] if "@" in parts.netloc else ""
    if ":" in userinfo:
        found.append(userinfo.split(":", 1)[1])
    found += [seg for seg in parts.path.split("/") if looks_like_token(seg)]
    found += [v for v in (_query_secret(s) for s in parts.query.split("&")) if v]
    return [f for f in found if f]


def mask_url(url: str) -> str:
    """Mask secret-looking query parameters, token-like path segments and a userinfo password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    path = "/".join(MASK if looks_like_token(seg) else seg for seg in parts.path.split("/"))
    # Edit the raw query text: decoding and re-encoding would show a URL that differs from the real one.
    query = (
        "&".join(f"{s.partition('=')[0]}={MASK}" if _query_secret(s) else s for s in parts.query.split("&"))
        if parts.query
        else ""
    )
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def display(value: Any, url: bool = False) -> Any:
    """The printable form of a value: templates for ${...}, masked secrets in URLs."""
    if isinstance(value, Templated):
        return mask_url(value.template) if url else value.template
    if isinstance(value, str) and url:
        return mask_url(value)
    if isinstance(value, str):
        # A live value (not Templated) may hold a resolved ${...} value: a message sent with ${PROMO_CODE}
        # reads back with the code in it. Every registered secret in it is masked, as in any printed text.
        return redact(value)
    if isinstance(value, dict):
        return {k: display(v, url=url or k == "callback_url") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [display(v, url=url) for v in value]
    return value


def scrub(text: str, *secrets: str | None) -> str:
    """Remove known secret strings (the API key) from free text such as error bodies."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = _replace_any_case(text, secret)
    return text


def _replace_any_case(text: str, secret: str) -> str:
    """Mask a secret in any letter case: an API that keeps or echoes a token upper-cased still leaks it."""
    return re.sub(re.escape(secret), MASK, text, flags=re.IGNORECASE)


# ------------------------------------------------------------------ redaction

_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>`\\]+", re.IGNORECASE)  # a quote or backslash ends it (JSON)
_BASIC_AUTH = re.compile(r"(Basic\s+)[A-Za-z0-9+/=]{8,}", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9_-]+")


def encodings(text: str) -> set[str]:
    """The forms a secret takes once sent or echoed: as is, percent-, form- and JSON-escaped."""
    forms = {
        text,
        quote(text, safe=""),
        quote(text),
        quote_plus(text),
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


class Redactor:
    """Masks registered secrets and every URL in free text, in time linear in the text.

    Secrets made of word characters (API keys, tokens) are found by one pass over the
    words of the text and a set lookup; the few others by substring replacement. Both
    ignore letter case: a token the API echoes or stores upper-cased is still the token.
    """

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._others: set[str] = set()
        self._lock = threading.Lock()

    def register(self, *values: Any) -> None:
        with self._lock:
            for value in values:
                text = str(value) if value is not None else ""
                if len(text) < MIN_SECRET_LENGTH:
                    continue
                # An API error may echo the value as it was sent: percent-, form- or JSON-escaped.
                for form in encodings(text):
                    if _WORD.fullmatch(form):
                        self._words.add(form.casefold())
                    else:
                        self._others.add(form)

    def clear(self) -> None:
        """Forget every registered secret (a CLI run is one process; the test suite runs many in one)."""
        with self._lock:
            self._words.clear()
            self._others.clear()

    def register_credentials(self, email: str, api_key: str) -> None:
        """The API key and the Basic header that carries it."""
        self.register(api_key, base64.b64encode(f"{email}:{api_key}".encode()).decode())

    def register_url(self, url: str) -> None:
        self.register(*secret_parts(url))

    def redact(self, text: str) -> str:
        if not text:
            return text
        text = _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text)
        text = _BASIC_AUTH.sub(lambda m: m.group(1) + MASK, text)
        if self._words:
            words = self._words
            text = _WORD.sub(lambda m: MASK if m.group(0).casefold() in words else m.group(0), text)
        folded = text.casefold()
        for secret in sorted(self._others, key=len, reverse=True):
            if secret.casefold() in folded:
                text = _replace_any_case(text, secret)
                folded = text.casefold()
        return text


REDACTOR = Redactor()


def register_secrets(values: Iterable[Any]) -> None:
    REDACTOR.register(*values)


def redact(text: str) -> str:
    return REDACTOR.redact(text)
