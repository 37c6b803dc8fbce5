"""What the rules look for in a text. Every pattern has bounded repetition only (``\\s{1,3}``,
fixed alternations), so a search costs time linear in the text; contact details, URLs and
shorteners are checked token by token (whitespace-separated, bounded length) rather than
with unanchored patterns that could retry from every position of a long word.
"""

from __future__ import annotations

import re
from typing import Iterator

_I = re.IGNORECASE
_VERB = r"(?:reply|text|txt|send|respond|sms|msg)"
_Q = r"[\"'\u201c\u2018]?"
_QE = r"[\"'\u201d\u2019]?"

RATES = re.compile(
    r"\b(?:msgs?|messages?)\s{0,3}(?:&|and|\+|n)\s{0,3}data\s{1,3}rates?\s{1,3}"
    r"(?:(?:may|might|will|can)\s{1,3})?apply",
    _I,
)
FREQUENCY = re.compile(
    r"\d{1,3}\s{0,2}(?:msgs?|messages?|texts?|alerts?|txts?)\s{0,2}(?:/|per\b|a\b|an\b|each\b|every\b)\s{0,2}"
    r"(?:mo|mos|month|wk|week|day|dy|d|yr|year|request|order|transaction|signup|opt-?in)\b"
    r"|\b(?:msg|message|txt|text)s?\s{0,2}(?:freq|frequency|frq)\.?\s{0,2}(?:varies|vary|may\s{1,3}vary)"
    r"|\brecurring\b|\bone[\s-]time\b|\b(?:1|one)\s{1,3}(?:msg|message|text)\b",
    _I,
)
VAGUE = re.compile(
    r"\b(?:periodic|periodically|occasional|occasionally|from\s{1,3}time\s{1,3}to\s{1,3}time|"
    r"frequent|various|regular)\b",
    _I,
)
STOP_INSTRUCTION = re.compile(
    rf"\b{_VERB}\s{{1,3}}(?:with\s{{1,3}})?{_Q}stop\b|\bstop{_QE}\s{{1,3}}(?:to|2)\s{{1,3}}"
    r"(?:end|cancel|stop|quit|opt[\s-]?out|unsubscribe|unsub|leave|opt)",
    _I,
)
HELP_INSTRUCTION = re.compile(
    rf"\b{_VERB}\s{{1,3}}(?:with\s{{1,3}})?{_Q}help\b|\bhelp{_QE}\s{{1,3}}(?:for|4)\s{{1,3}}"
    r"(?:help|info|information|support|assistance|more)",
    _I,
)
YES_INSTRUCTION = re.compile(rf"\b(?:reply|text|txt|respond|send)\s{{1,3}}(?:with\s{{1,3}})?{_Q}(?:yes|y)\b", _I)
STOP_CONFIRMATION = re.compile(
    r"unsubscribed|opted[\s-]{0,2}out|no\s{1,3}(?:more|further)\s{1,3}(?:msgs?|messages?|texts?|alerts?)|"
    r"will\s{1,3}not\s{1,3}receive|won'?t\s{1,3}receive|no\s{1,3}longer\s{1,3}receive|"
    r"not\s{1,3}receive\s{1,3}any\s{1,3}more|been\s{1,3}removed|removed\s{1,3}from",
    _I,
)
MARKETING_CONSENT = re.compile(r"\b(?:recurring|automated|autodialed|auto-dialed|autodialer|automatic)\b", _I)
MARKETING_WORD = re.compile(r"\b(?:marketing|promotional|promo|promotions|advertising|offers)\b", _I)
NO_PURCHASE = re.compile(
    r"\bno\s{1,3}purch(?:ase)?\.?\s{1,3}(?:req|reqd|req'd|rqd|required|necessary|nec|needed)\b|"
    r"\bnot\s{1,3}(?:a\s{1,3})?(?:condition|required|req'd|reqd|rqd)\s{1,3}(?:of|for|to)\s{1,3}"
    r"(?:purchase|buy|purchasing|any\s{1,3}purchase)",
    _I,
)
OFFER = re.compile(
    r"\d{1,3}\s{0,2}%\s{0,2}off\b|\b(?:promo|coupon|discount)\s{0,2}codes?\b|\bcoupons?\b|"
    r"\bdiscounts?\b|\bsale\b|\bbogo\b|\bfree\s{1,3}(?:shipping|gift|delivery|item|trial)\b|"
    r"\b(?:shop|buy|order)\s{1,3}now\b|\buse\s{1,3}code\b",
    _I,
)
PRICE = re.compile(r"[$€£]\s{0,2}\d|\b\d{1,7}(?:[.,]\d{2})?\s{0,2}(?:usd|dollars|bucks)\b", _I)
# An instruction to text a keyword: the verb in any case, the keyword in capitals (that is how keywords are written).
KEYWORD_INSTRUCTION = re.compile(
    rf"\b(?i:reply|text|txt|send|respond)\s{{1,3}}(?i:with\s{{1,3}})?{_Q}"
    r"([A-Z][A-Z0-9]{1,19})\b"
)
RUN_TOGETHER = re.compile(
    r"(?:stop|quit|cancel|unsubscribe|optout)(?:2|4|to)(?:stop|quit|end|cancel|optout|"
    r"opt|unsub|exit|leave)|\b(?:reply|text|txt|send)(?:stop|help)\b",
    _I,
)
_PHONE = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b")
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")

TOKEN_LIMIT = 320
_PUNCTUATION = ".,;:!?()[]<>\"'\u201c\u201d\u2018\u2019"
# Common top-level domains (and RFC 2606's .example), so "rates.Reply" is not taken for a URL.
TLDS = frozenset(
    {
        "com",
        "net",
        "org",
        "io",
        "co",
        "us",
        "info",
        "biz",
        "me",
        "app",
        "shop",
        "store",
        "online",
        "site",
        "ly",
        "gl",
        "gd",
        "cc",
        "to",
        "be",
        "ca",
        "uk",
        "de",
        "fr",
        "es",
        "mx",
        "au",
        "edu",
        "gov",
        "ai",
        "tv",
        "link",
        "club",
        "example",
    }
)
SHORTENERS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "tinyurl.com",
        "goo.gl",
        "is.gd",
        "tiny.cc",
        "ow.ly",
        "t.co",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "rb.gy",
        "t.ly",
        "v.gd",
        "lnkd.in",
        "tr.im",
        "bl.ink",
        "shorte.st",
        "adf.ly",
        "x.co",
        "qr.net",
    }
)


def tokens(text: str) -> Iterator[str]:
    for word in text.split():
        token = word.strip(_PUNCTUATION)
        if token and len(token) <= TOKEN_LIMIT:
            yield token


def host_of(token: str) -> str | None:
    """The host of a URL-looking token ("https://bit.ly/x", "www.acme.com/help", "acme.example"), else None."""
    lowered = token.lower()
    schemed = lowered.startswith(("http://", "https://"))
    rest = lowered.split("://", 1)[1] if schemed else lowered
    if "@" in rest.split("/", 1)[0]:
        return None  # an e-mail address
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].split(":", 1)[0]
    labels = host.split(".")
    if len(labels) < 2 or not all(label and all(c.isalnum() or c == "-" for c in label) for label in labels):
        return None
    if not schemed and labels[-1] not in TLDS:
        return None
    return host[4:] if host.startswith("www.") else host


def urls(text: str) -> list[str]:
    return [token for token in tokens(text) if host_of(token)]


def shorteners(text: str) -> list[str]:
    return sorted({host for token in tokens(text) if (host := host_of(token)) in SHORTENERS})


def has_contact(text: str) -> bool:
    """An e-mail address, a URL or a phone number (10 digits, or a 5-6 digit short code)."""
    for token in tokens(text):
        if _EMAIL.fullmatch(token) or host_of(token):
            return True
    return bool(_PHONE.search(text)) or any(t.isdigit() and 5 <= len(t) <= 6 for t in tokens(text))
