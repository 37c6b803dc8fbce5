"""The rules, as one pure function over (field name, text, list context) -> findings.

``check_message`` knows which rules apply to which field; a caller (validate, a
template's check, the plan review) chooses the rules to run and their severities.
A rule not asked for is not computed at all. Every check is linear in the text
(see ``patterns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Collection, Optional

from tatango_iac.compliance import patterns as p
from tatango_iac.compliance.catalogue import ADVISORY_KEYWORDS, EXTENDED_KEYWORDS, Rule
from tatango_iac.compliance.encoding import Encoding, outside_gsm7, sms_info
from tatango_iac.model import RESERVED_KEYWORDS


class Role(Enum):
    """What a message is for, which decides the rules that apply to it."""

    CONFIRMATION = "opt-in confirmation"
    HELP = "HELP reply"
    STOP = "STOP reply"
    CONSENT = "consent request"
    ALREADY = "already-subscribed reply"
    REPLY = "reply to a subscriber"
    OTHER = "message"


class Presence(Enum):
    MISSING = "missing"  # something required is not there
    PRESENT = "present"  # something forbidden (or costly) is there


CONFIRMATION_FIELDS = frozenset(
    {"first_optin_message", "second_optin_message", "opt_in_message", "second_opt_in_message"}
)
_ROLES = {
    "message_help": Role.HELP,
    "message_stop": Role.STOP,
    "message_yes": Role.CONSENT,
    "message_already_subscribed": Role.ALREADY,
    "message_reply": Role.REPLY,
}


@dataclass(frozen=True)
class MessageContext:
    """What a rule needs to know beyond the text: the list's brand, and whether this
    double opt-in ``request_message`` is the one that asks for consent."""

    brand: Optional[str] = None
    asks_consent: bool = False


@dataclass(frozen=True, order=True)
class Finding:
    rule: Rule
    subject: str  # what is missing or present, as a reviewer reads it
    presence: Presence
    topic: str = ""  # identity within the rule when the subject quotes the text (a URL, an offer)

    @property
    def key(self) -> tuple[str, str]:
        """Identity across two versions of a message, for "breaks" and "fixes"."""
        return self.rule.value, self.topic or self.subject

    def message(self, field: str) -> str:
        return f"{field} {'lacks' if self.presence is Presence.MISSING else 'has'} {self.subject}"


def role_of(field: str, context: MessageContext) -> Role:
    if field in CONFIRMATION_FIELDS:
        return Role.CONFIRMATION
    if field == "request_message" and context.asks_consent:
        return Role.CONSENT
    return _ROLES.get(field, Role.OTHER)


_RULES_BY_ROLE: dict[Role, tuple[Rule, ...]] = {
    Role.CONFIRMATION: (
        Rule.BRAND_NAME,
        Rule.FREQUENCY_DISCLOSURE,
        Rule.RATES_DISCLOSURE,
        Rule.STOP_INSTRUCTIONS,
        Rule.HELP_INSTRUCTIONS,
    ),
    Role.HELP: (
        Rule.BRAND_NAME,
        Rule.FREQUENCY_DISCLOSURE,
        Rule.RATES_DISCLOSURE,
        Rule.STOP_INSTRUCTIONS,
        Rule.HELP_CONTACT,
    ),
    Role.STOP: (Rule.BRAND_NAME, Rule.STOP_CONFIRMATION, Rule.STOP_MARKETING),
    Role.CONSENT: (Rule.CONSENT_WORDING, Rule.RATES_DISCLOSURE),
    Role.ALREADY: (Rule.RATES_DISCLOSURE, Rule.STOP_INSTRUCTIONS, Rule.HELP_INSTRUCTIONS),
    Role.REPLY: (Rule.RATES_DISCLOSURE, Rule.STOP_INSTRUCTIONS, Rule.HELP_INSTRUCTIONS),
    Role.OTHER: (),
}
_EVERY_MESSAGE = (Rule.SMS_LENGTH, Rule.GSM7, Rule.URL_SHORTENER, Rule.OPT_OUT_WORDING)


def rules_for(field: str, context: MessageContext) -> tuple[Rule, ...]:
    role_rules = _RULES_BY_ROLE[role_of(field, context)]
    if not context.brand:
        role_rules = tuple(r for r in role_rules if r is not Rule.BRAND_NAME)
    if Rule.FREQUENCY_DISCLOSURE in role_rules:
        role_rules += (Rule.FREQUENCY_VAGUE,)
    return _EVERY_MESSAGE + role_rules


def check_message(
    field: str, text: str, context: MessageContext = MessageContext(), enabled: Optional[Collection[Rule]] = None
) -> list[Finding]:
    """Findings of the rules that apply to ``field`` (and are ``enabled``; None = all)."""
    if not text:
        return []
    found: list[Finding] = []
    for rule in rules_for(field, context):
        if enabled is None or rule in enabled:
            found += _CHECKS[rule](text, context)
    return found


def check_keyword(keyword: str) -> Optional[Rule]:
    upper = keyword.strip().upper()
    for rule, words in (
        (Rule.KEYWORD_RESERVED, RESERVED_KEYWORDS),
        (Rule.KEYWORD_RESERVED_EXTENDED, EXTENDED_KEYWORDS),
        (Rule.KEYWORD_RESERVED_ADVISORY, ADVISORY_KEYWORDS),
    ):
        if upper in words:
            return rule
    return None


# ------------------------------------------------------------------ one function per rule


def _missing(rule: Rule, subject: str) -> list[Finding]:
    return [Finding(rule, subject, Presence.MISSING)]


def _present(rule: Rule, subject: str, topic: str = "") -> list[Finding]:
    return [Finding(rule, subject, Presence.PRESENT, topic)]


def _sms_length(text: str, _c: MessageContext) -> list[Finding]:
    info = sms_info(text)
    return (
        _present(Rule.SMS_LENGTH, f"{info.length} characters: sent as {info.parts} SMS parts", "parts")
        if info.parts > 1
        else []
    )


def _gsm7(text: str, _c: MessageContext) -> list[Finding]:
    if sms_info(text).encoding is Encoding.GSM7:
        return []
    return _present(Rule.GSM7, f"characters outside GSM-7 ({outside_gsm7(text)!r})", "ucs2")


def _brand(text: str, c: MessageContext) -> list[Finding]:
    brand = c.brand or ""
    return (
        []
        if " ".join(brand.split()).casefold() in " ".join(text.split()).casefold()
        else _missing(Rule.BRAND_NAME, f"the brand name '{brand}'")
    )


def _frequency(text: str, _c: MessageContext) -> list[Finding]:
    if p.FREQUENCY.search(text) or p.VAGUE.search(text):
        return []  # vague wording is its own rule
    return _missing(
        Rule.FREQUENCY_DISCLOSURE,
        "a message-frequency disclosure ('4 msgs/mo', 'recurring msgs', 'msg frequency varies')",
    )


def _frequency_vague(text: str, _c: MessageContext) -> list[Finding]:
    vague = p.VAGUE.search(text)
    if not vague or p.FREQUENCY.search(text):
        return []
    return _present(Rule.FREQUENCY_VAGUE, f"only a vague message frequency ('{vague.group(0)}')", "vague")


def _rates(text: str, _c: MessageContext) -> list[Finding]:
    return [] if p.RATES.search(text) else _missing(Rule.RATES_DISCLOSURE, "'Msg&data rates may apply'")


def _stop_instructions(text: str, _c: MessageContext) -> list[Finding]:
    return (
        []
        if p.STOP_INSTRUCTION.search(text)
        else _missing(Rule.STOP_INSTRUCTIONS, "STOP instructions ('Reply STOP to cancel')")
    )


def _help_instructions(text: str, _c: MessageContext) -> list[Finding]:
    return (
        []
        if p.HELP_INSTRUCTION.search(text)
        else _missing(Rule.HELP_INSTRUCTIONS, "HELP instructions ('Reply HELP for help')")
    )


def _help_contact(text: str, _c: MessageContext) -> list[Finding]:
    return [] if p.has_contact(text) else _missing(Rule.HELP_CONTACT, "a contact (e-mail, phone number or URL)")


def _stop_confirmation(text: str, _c: MessageContext) -> list[Finding]:
    return (
        []
        if p.STOP_CONFIRMATION.search(text)
        else _missing(
            Rule.STOP_CONFIRMATION,
            "a confirmation of the opt-out ('You are unsubscribed. No more messages will be sent.')",
        )
    )


def _stop_marketing(text: str, _c: MessageContext) -> list[Finding]:
    found: list[Finding] = []
    links = p.urls(text)
    if links:
        found += _present(Rule.STOP_MARKETING, f"a URL ('{links[0]}')", "url")
    offer = p.OFFER.search(text)
    if offer:
        found += _present(Rule.STOP_MARKETING, f"an offer ('{offer.group(0)}')", "offer")
    price = p.PRICE.search(text)
    if price:
        found += _present(Rule.STOP_MARKETING, "a price")
    allowed = {"START", "HELP", "UNSTOP"}
    keywords = sorted({m.group(1) for m in p.KEYWORD_INSTRUCTION.finditer(text)} - allowed)
    if keywords:
        found += _present(Rule.STOP_MARKETING, f"a keyword other than START, HELP or UNSTOP ({keywords[0]})", "keyword")
    return found


def _consent(text: str, _c: MessageContext) -> list[Finding]:
    found: list[Finding] = []
    if not (p.MARKETING_CONSENT.search(text) and p.MARKETING_WORD.search(text)):
        found += _missing(Rule.CONSENT_WORDING, "a disclosure of recurring automated marketing messages")
    if not p.NO_PURCHASE.search(text):
        found += _missing(Rule.CONSENT_WORDING, "'consent is not a condition of purchase' ('No purchase rqd')")
    if not p.YES_INSTRUCTION.search(text):
        found += _missing(Rule.CONSENT_WORDING, "how to agree ('Reply YES')")
    return found


def _shortener(text: str, _c: MessageContext) -> list[Finding]:
    hosts = p.shorteners(text)
    return _present(Rule.URL_SHORTENER, f"a public URL shortener ({', '.join(hosts)})", "shortener") if hosts else []


def _run_together(text: str, _c: MessageContext) -> list[Finding]:
    match = p.RUN_TOGETHER.search(text)
    return (
        _present(Rule.OPT_OUT_WORDING, f"opt-out words run together ('{match.group(0)}')", "run-together")
        if match
        else []
    )


_CHECKS = {
    Rule.SMS_LENGTH: _sms_length,
    Rule.GSM7: _gsm7,
    Rule.BRAND_NAME: _brand,
    Rule.FREQUENCY_DISCLOSURE: _frequency,
    Rule.FREQUENCY_VAGUE: _frequency_vague,
    Rule.RATES_DISCLOSURE: _rates,
    Rule.STOP_INSTRUCTIONS: _stop_instructions,
    Rule.HELP_INSTRUCTIONS: _help_instructions,
    Rule.HELP_CONTACT: _help_contact,
    Rule.STOP_CONFIRMATION: _stop_confirmation,
    Rule.STOP_MARKETING: _stop_marketing,
    Rule.CONSENT_WORDING: _consent,
    Rule.URL_SHORTENER: _shortener,
    Rule.OPT_OUT_WORDING: _run_together,
}
