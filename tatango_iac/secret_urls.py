"""Which parts of a URL are secrets: one set of rules for masking, redaction and the validate warning.

A callback URL carries its credential in one of a few places: a password in the user info, a
query value under a secret-looking name (``token``, ``hmac``, ``code``...), any query value that
looks like a token (long, letters and digits, or long and random-looking), a fragment that looks
like a token, or a path segment: either a long token-like one or the position a known provider
puts its token in (Slack, Discord, Microsoft Teams, Zapier hooks). Ordinary values (``?page=2``,
``?ref=tatango``, ``?utm_source=sms``) are not secrets and stay readable.

``secret_parts`` lists the parts with what they are (for a warning that names the part, never its
value); ``mask_url`` shows the URL with each replaced by ``****``. Both work on the raw text, so
the masked URL differs from the real one only where a secret was.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "****"
_SECRET_PARAM = re.compile(
    r"(token|key|secret|password|passwd|pwd|sig|signature|auth|hmac|code|access|credential|private|session|"
    r"bearer|jwt)",
    re.IGNORECASE,
)
_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$")
TOKEN_LENGTH = 16  # shorter values are words and numbers (ids, pages), not credentials
RANDOM_LENGTH = 20  # a letters-only value this long is a token only when it is random-looking
RANDOM_BITS = 4.0  # Shannon entropy per character; English words and camel-case names stay below it
FRAGMENT_LENGTH = 12  # a fragment is never sent to the server: one mixing letters and digits is a token


class PartKind(Enum):
    PASSWORD = "password"
    PATH = "path"
    QUERY = "query"
    FRAGMENT = "fragment"


@dataclass(frozen=True)
class SecretPart:
    kind: PartKind
    label: str  # what the part is, for a message (never its value)
    suffix: str  # for a variable name: TATANGO_SECRET_<LIST>_<SUFFIX>
    value: str  # as written in the URL


@dataclass(frozen=True)
class _Provider:
    """A hook URL shape: on hosts matching ``host``, path segments after ``prefix`` from ``first`` on are the token."""

    name: str
    host: re.Pattern[str]
    prefix: tuple[str, ...]
    first: int


PROVIDERS = (
    _Provider("Slack webhook token", re.compile(r"hooks\.slack\.com"), ("services",), 2),
    _Provider("Slack workflow trigger token", re.compile(r"hooks\.slack\.com"), ("triggers",), 1),
    _Provider("Discord webhook token", re.compile(r"(ptb\.|canary\.)?discord(app)?\.com"), ("api", "webhooks"), 1),
    _Provider("Microsoft Teams webhook token", re.compile(r"[a-z0-9-]+\.webhook\.office\.com"), ("webhookb2",), 2),
    _Provider("Zapier hook token", re.compile(r"hooks\.zapier\.com"), ("hooks", "catch"), 1),
)


def is_secret_param(name: str) -> bool:
    return bool(_SECRET_PARAM.search(name))


def _bits_per_char(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _letters_and_digits(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def looks_like_token(text: str) -> bool:
    """Long and mixing letters and digits, or longer and random-looking in mixed case (base64, Slack)."""
    if len(text) < TOKEN_LENGTH or "${" in text:
        return False
    if _letters_and_digits(text):
        return True
    mixed_case = any(c.isupper() for c in text) and any(c.islower() for c in text)
    return len(text) >= RANDOM_LENGTH and mixed_case and _bits_per_char(text) >= RANDOM_BITS


def _provider_token(host: str, segments: list[str], index: int) -> str | None:
    """The provider name when segment ``index`` is where that provider's hook URL keeps its token."""
    named = [(i, s) for i, s in enumerate(segments) if s]
    for provider in PROVIDERS:
        if not provider.host.fullmatch(host.lower()):
            continue
        size = len(provider.prefix)
        if tuple(s.lower() for _, s in named[:size]) != tuple(p.lower() for p in provider.prefix):
            continue
        if any(i == index for i, _ in named[size + provider.first :]):
            return provider.name
    return None


def _path_parts(host: str, path: str) -> list[SecretPart | None]:
    segments = path.split("/")
    found: list[SecretPart | None] = []
    for index, segment in enumerate(segments):
        if not segment or "${" in segment:
            found.append(None)
        elif provider := _provider_token(host, segments, index):
            found.append(SecretPart(PartKind.PATH, f"path segment {index} (the {provider})", f"PATH_{index}", segment))
        elif looks_like_token(unquote_plus(segment)):
            found.append(
                SecretPart(PartKind.PATH, f"path segment {index} (a token-like value)", f"PATH_{index}", segment)
            )
        else:
            found.append(None)
    return found


def _param_part(segment: str, kind: PartKind) -> SecretPart | None:
    """One ``key=value`` of a query (or of a fragment written like one)."""
    key, eq, value = segment.partition("=")
    if not eq or not value or _REFERENCE.match(value):
        return None  # a ${NAME} template names the secret without revealing it
    name = unquote_plus(key)
    where = "query parameter" if kind is PartKind.QUERY else "fragment parameter"
    if is_secret_param(name):
        return SecretPart(kind, f"{where} '{name[:40]}'", name, value)
    if looks_like_token(unquote_plus(value)):
        return SecretPart(kind, f"{where} '{name[:40]}' (a token-like value)", name, value)
    return None


def _fragment_parts(fragment: str) -> list[SecretPart | None]:
    if "=" in fragment:
        return [_param_part(s, PartKind.FRAGMENT) for s in fragment.split("&")]
    if "${" not in fragment and (
        looks_like_token(fragment) or (len(fragment) >= FRAGMENT_LENGTH and _letters_and_digits(fragment))
    ):
        return [SecretPart(PartKind.FRAGMENT, "the fragment (a token-like value)", "FRAGMENT", fragment)]
    return [None]


def _password(netloc: str) -> SecretPart | None:
    """A password in the user info; a user info without one is itself the credential (https://TOKEN@host)."""
    userinfo = netloc.rsplit("@", 1)[0] if "@" in netloc else ""
    user, colon, password = userinfo.partition(":")
    secret = password if colon else user
    if not secret or _REFERENCE.match(secret):
        return None
    what = "the password in its user info" if colon else "its user info"
    return SecretPart(PartKind.PASSWORD, what, "PASSWORD" if colon else "USERINFO", secret)


def _query_parts(query: str) -> list[SecretPart | None]:
    return [_param_part(s, PartKind.QUERY) for s in query.split("&")] if query else []


def secret_parts(url: str) -> list[SecretPart]:
    """Every secret part of a URL, in the order written. Raises ValueError for text that is not a URL."""
    if problem := url_problem(url):
        raise ValueError(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    found = [_password(parts.netloc), *_path_parts(host, parts.path), *_query_parts(parts.query)]
    found += _fragment_parts(parts.fragment) if parts.fragment else []
    return [part for part in found if part is not None]


def mask_url(url: str) -> str:
    """The URL with every secret part replaced by ``****`` (the rest exactly as written)."""
    if url_problem(url):
        return url_shape(url)  # not a URL: which part is secret is unknowable, so only the scheme shows
    parts = urlsplit(url)
    netloc = parts.netloc
    if _password(netloc):
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    segments = parts.path.split("/")
    path = "/".join(_masked(p, s) for p, s in zip(_path_parts(parts.hostname or "", parts.path), segments, strict=True))
    query = _masked_params(_query_parts(parts.query), parts.query) if parts.query else ""
    fragment = parts.fragment
    if fragment and "=" in fragment:
        fragment = _masked_params(_fragment_parts(fragment), fragment)
    elif fragment and _fragment_parts(fragment)[0]:
        fragment = MASK
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _masked(part: SecretPart | None, segment: str) -> str:
    if part is None:
        return segment
    return f"{segment.partition('=')[0]}={MASK}" if part.kind in (PartKind.QUERY, PartKind.FRAGMENT) else MASK


def _masked_params(found: list[SecretPart | None], text: str) -> str:
    return "&".join(_masked(p, s) for p, s in zip(found, text.split("&"), strict=True))


def url_problem(url: str) -> str | None:
    """Why text cannot be parsed as a URL, naming only its non-secret shape (None: it parses).

    The text is never quoted: a malformed URL may hold its secret anywhere (``https://user:pa55word``
    without ``@`` reads as a host with port ``pa55word``), and Python's own messages quote the port.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here, not in urlsplit
    except ValueError:
        return _unparsable(url)
    return None


def _unparsable(url: str) -> str:
    authority = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rsplit("@", 1)[-1]
    if "[" in host and "]" not in host:
        return "unclosed '[' in the host"
    if "]" in host and "[" not in host:
        return "a ']' without its '[' in the host"
    if "[" in host:
        return "the host in [...] is not an IPv6 address"
    return (
        "the port (after ':' in the host part) is not a number from 0 to 65535; a password goes as user:password@host"
    )


def url_shape(url: str) -> str:
    """What may be shown of text that is not a URL: its scheme, the rest elided."""
    scheme, sep, _rest = url.partition("://")
    return f"{scheme[:20]}://…" if sep and scheme.isascii() and scheme.isalnum() else "…"
