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
import html
import json
import re
import threading
from typing import Any, Iterable
from urllib.parse import quote, quote_plus, unquote_plus

from tatango_iac.secret_urls import MASK as MASK
from tatango_iac.secret_urls import is_secret_param as is_secret_param
from tatango_iac.secret_urls import looks_like_token as looks_like_token
from tatango_iac.secret_urls import mask_url as _mask_url
from tatango_iac.secret_urls import secret_parts as secret_url_parts
from tatango_iac.secret_urls import url_shape

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


def secret_parts(url: str) -> list[str]:
    """The secret substrings of a URL, as written in it and decoded (``secret_urls`` says which parts)."""
    try:
        found = [part.value for part in secret_url_parts(url)]
    except ValueError:
        return [url]
    return found + [unquote_plus(value) for value in found]


def mask_url(url: str) -> str:
    """The URL with its secret parts masked; text that is not a URL shows only its shape (``url_problem``)."""
    try:
        return _mask_url(url)
    except ValueError:
        return url_shape(url)  # not a URL: the scheme at most, as a secret may be anywhere in it


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


TRUNCATED_LENGTH = 8  # a word this long that is a secret missing at most TRUNCATED_DROP characters...
TRUNCATED_DROP = 3  # ...at its start or end is masked: an API that cuts the value it echoes still leaks it


def encodings(text: str) -> set[str]:
    """The forms a secret takes once sent or echoed: as is, percent-, form-, JSON- and HTML-escaped."""
    forms = {
        text,
        quote(text, safe=""),
        quote(text),
        quote_plus(text),
        json.dumps(text)[1:-1],
        json.dumps(text, ensure_ascii=False)[1:-1],
        html.escape(text),
        html.escape(text, quote=False),
    }
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def embedded_forms(text: str) -> set[str]:
    """Forms found inside a longer run: hex, and base64 at each of the three byte alignments.

    Base64 of a text that contains the secret at byte offset k (mod 3) holds a fixed run of
    characters that depend on the secret's bytes alone; that run, for k = 0, 1, 2 and in both
    alphabets (standard and URL-safe), is what is searched for. Hex holds the secret's hex at an
    even offset.
    """
    raw = text.encode()
    forms = {raw.hex()}
    for k in range(3):
        encoded = base64.b64encode(b"\0" * k + raw + b"\0\0").decode()
        core = encoded[-(-8 * k // 6) : (8 * (k + len(raw))) // 6]
        forms |= {core, core.replace("+", "-").replace("/", "_")}
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def truncations(word: str) -> set[str]:
    """A secret word cut by at most TRUNCATED_DROP characters at either end, keeping TRUNCATED_LENGTH or more."""
    cuts = range(1, min(TRUNCATED_DROP, len(word) - TRUNCATED_LENGTH) + 1)
    return {word[:-cut] for cut in cuts} | {word[cut:] for cut in cuts}


class Redactor:
    """Masks registered secrets and every URL in free text, in time linear in the text.

    Secrets made of word characters (API keys, tokens) are found by one pass over the
    words of the text and a set lookup, together with their truncations (``truncations``);
    the few others, and the hex and base64 forms (``embedded_forms``), by substring
    replacement, one linear pass each. Both ignore letter case: a token the API echoes or
    stores upper-cased is still the token.
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
                # An API error may echo the value as it was sent: percent-, form-, JSON- or HTML-escaped,
                # cut short, or inside a hex or base64 blob (a debug dump of the request).
                for form in encodings(text):
                    if _WORD.fullmatch(form):
                        self._words.add(form.casefold())
                        self._words.update(cut.casefold() for cut in truncations(form))
                    else:
                        self._others.add(form)
                self._others.update(embedded_forms(text))

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
