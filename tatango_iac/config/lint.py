"""Lint warnings on messages (each with a rule id, switchable in ``account.lint``).

Every check runs in time linear in the message (an 80 KB HELP text must not take
seconds), and a rule that is switched off is not computed at all.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterator

from tatango_iac.model import LIST_MESSAGE_FIELDS, OPT_IN_MESSAGE_FIELDS, DesiredList, Source

LINT_RULES = ("sms-length", "gsm7", "optin-disclosure", "help-content", "stop-confirmation")

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")  # each counts as two characters
_RATES = re.compile(r"msg\s{0,3}(&|and)\s{0,3}data\s{1,3}rates\s{1,3}may\s{1,3}apply", re.IGNORECASE)
_STOP = re.compile(r"\bSTOP\b", re.IGNORECASE)
_HELP = re.compile(r"\bHELP\b", re.IGNORECASE)
# Contact details: checked token by token (whitespace-separated, bounded length) with anchored
# patterns, so a long run of word characters costs one pass, not one pass per position.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_DOMAIN = re.compile(r"([\w-]+\.)+(com|net|org|io|co|us|info)(/\S*)?", re.IGNORECASE)
_PHONE = re.compile(r"\d{3}[\s.-]?\d{3}[\s.-]?\d{4}|\b\d{5,6}\b")
_STOP_CONFIRMATION = re.compile(
    r"unsubscribed|opted[\s-]out|no (more|further) (messages|msgs)|will not receive|won't receive|"
    r"not receive any more|removed", re.IGNORECASE)
_TOKEN_LIMIT = 320
_PUNCTUATION = ".,;:!?()[]<>\"'"


def sms_parts(text: str) -> tuple[int, int, bool]:
    """(length in encoding units, number of SMS parts, is GSM-7)."""
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
    if gsm:
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return length, 1 if length <= 160 else math.ceil(length / 153), True
    length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return length, 1 if length <= 70 else math.ceil(length / 67), False


def has_contact(text: str) -> bool:
    for word in text.split():
        token = word.strip(_PUNCTUATION)
        if len(token) > _TOKEN_LIMIT:
            continue
        lowered = token.lower()
        if lowered.startswith(("http://", "https://")) or _EMAIL.fullmatch(token) or _DOMAIN.fullmatch(token):
            return True
    return bool(_PHONE.search(text))


def _messages(lst: DesiredList) -> Iterator[tuple[str, str, tuple]]:
    for name in LIST_MESSAGE_FIELDS:
        value = lst.fields.get(name)
        if isinstance(value, str) and value:
            yield name, value, (name,)
    for i, request in enumerate(lst.opt_in_requests or []):
        for name in OPT_IN_MESSAGE_FIELDS:
            value = request.get(name)
            if isinstance(value, str) and value:
                yield name, value, ("opt_in_requests", i, name)


_CONFIRMATIONS = {"first_optin_message", "second_optin_message", "opt_in_message", "second_opt_in_message"}


def lint_list(c: Any, lst: DesiredList) -> None:
    from tatango_iac.config.rules import at  # shared location helper

    on = {rule: c.account.account.lint.get(rule, True) for rule in LINT_RULES}
    for name, text, path in _messages(lst):
        where: Source = at(lst, *path)
        if on["gsm7"] or on["sms-length"]:
            _lint_length(c, on, name, text, where)
        if on["optin-disclosure"] and name in _CONFIRMATIONS:
            missing = [label for label, rx in (("'Msg&data rates may apply'", _RATES), ("STOP", _STOP),
                                               ("HELP", _HELP)) if not rx.search(text)]
            if missing:
                c.warn(where, f"opt-in confirmation {name} lacks {', '.join(missing)}", "optin-disclosure")
        if on["help-content"] and name == "message_help" and not (_STOP.search(text) and has_contact(text)):
            c.warn(where, "HELP response should give contact details and STOP instructions", "help-content")
        if on["stop-confirmation"] and name == "message_stop" and not _STOP_CONFIRMATION.search(text):
            c.warn(where, "STOP response should confirm the opt-out (e.g. 'You have been unsubscribed')",
                   "stop-confirmation")


def _lint_length(c: Any, on: dict[str, bool], name: str, text: str, where: Source) -> None:
    length, parts, gsm = sms_parts(text)
    if not gsm and on["gsm7"]:
        odd = "".join(sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION}))[:20]
        c.warn(where, f"{name} has characters outside GSM-7 ({odd!r}): each SMS part shrinks to 70 characters", "gsm7")
    if parts > 1 and on["sms-length"]:
        c.warn(where, f"{name} is {length} characters: sent as {parts} SMS parts", "sms-length")
