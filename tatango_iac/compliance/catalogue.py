"""The rule catalogue: every message and keyword rule, its default severity, what it
checks, why, and the public source it comes from. The README's rule catalogue and the
schema's ``account.lint`` keys are generated from (or tested against) this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Rule(str, Enum):
    SMS_LENGTH = "sms-length"
    GSM7 = "gsm7"
    BRAND_NAME = "brand-name"
    FREQUENCY_DISCLOSURE = "frequency-disclosure"
    FREQUENCY_VAGUE = "frequency-vague"
    RATES_DISCLOSURE = "rates-disclosure"
    STOP_INSTRUCTIONS = "stop-instructions"
    HELP_INSTRUCTIONS = "help-instructions"
    HELP_CONTACT = "help-contact"
    STOP_CONFIRMATION = "stop-confirmation"
    STOP_MARKETING = "stop-marketing"
    CONSENT_WORDING = "consent-wording"
    URL_SHORTENER = "url-shortener"
    OPT_OUT_WORDING = "opt-out-wording"
    KEYWORD_RESERVED = "keyword-reserved"
    KEYWORD_RESERVED_EXTENDED = "keyword-reserved-extended"
    KEYWORD_RESERVED_ADVISORY = "keyword-reserved-advisory"


class Severity(str, Enum):
    OFF = "off"
    WARNING = "warning"
    ERROR = "error"


# Sources, cited by short name in the catalogue.
CTIA_MPBP = "CTIA Messaging Principles and Best Practices (May 2023)"
CTIA_HANDBOOK = "CTIA Short Code Monitoring Handbook (v1.8)"
CARRIER_FORMATS = "carriers' published short-code HELP/STOP formats (e.g. Twilio's short code HELP/STOP FAQ)"
VONAGE = "Vonage pre-approved short-code templates"
MICROSOFT = "Microsoft 10DLC campaign rejection codes"
FCC = "FCC, 47 CFR 64.1200(a)(10)-(12) (opt-out confirmation since 2024-04-04, revocation since 2025-04-11)"
TCPA = "TCPA prior express written consent, 47 CFR 64.1200(f)(9)"
CARRIER_CONTENT = "AT&T / T-Mobile content guidance"
GSM = "3GPP TS 23.038 / 23.040 (GSM-7 alphabet, concatenated SMS)"

CONFIRMATIONS = "opt-in confirmations"  # the README defines them


@dataclass(frozen=True)
class RuleInfo:
    rule: Rule
    default: Severity
    fields: str  # which messages (or keywords) it looks at
    checks: str  # what it reports
    why: str
    sources: tuple[str, ...]
    configurable: bool = True  # a severity can be set in account.lint

    @property
    def summary(self) -> str:
        """One line, used as the schema description of the account.lint key."""
        return f"{self.checks[0].upper()}{self.checks[1:]} (default: {self.default.value})."


CATALOGUE: dict[Rule, RuleInfo] = {
    info.rule: info
    for info in (
        RuleInfo(
            Rule.SMS_LENGTH,
            Severity.WARNING,
            "every message",
            "a message sent as several SMS parts (over 160 GSM-7 characters, or 70 UCS-2)",
            "each part is billed and some handsets show the parts out of order",
            (GSM,),
        ),
        RuleInfo(
            Rule.GSM7,
            Severity.WARNING,
            "every message",
            "characters outside the GSM-7 set (each part shrinks to 70 characters)",
            "one emoji or curly quote makes the whole message UCS-2: more parts, more cost",
            (GSM,),
        ),
        RuleInfo(
            Rule.BRAND_NAME,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_help`, `message_stop`; only when `account.brand` or the list's `brand` is set",
            "a message that does not name the brand or program",
            "the subscriber must know who is texting; audits fail HELP and STOP replies without the program name",
            (CTIA_MPBP + " §5.1.2", CTIA_HANDBOOK, CARRIER_FORMATS, MICROSOFT),
        ),
        RuleInfo(
            Rule.FREQUENCY_DISCLOSURE,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_help`",
            'no message-frequency disclosure ("4 msgs/mo", "recurring msgs", "msg frequency varies", '
            '"1 msg per request")',
            "subscribers must know how often they will be texted",
            (CTIA_MPBP + " §5.1.2", CTIA_HANDBOOK, MICROSOFT),
        ),
        RuleInfo(
            Rule.FREQUENCY_VAGUE,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_help`",
            'a frequency given only in vague words ("periodic", "occasional", "from time to time")',
            "audits treat vague frequency as no disclosure",
            (CTIA_HANDBOOK, MICROSOFT),
        ),
        RuleInfo(
            Rule.RATES_DISCLOSURE,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_help`, `message_already_subscribed`, `message_reply`, consent requests "
            "(`message_yes`, the double opt-in request that asks for consent)",
            'no "Msg&data rates may apply" (or "Message and data rates may apply")',
            "the subscriber may pay for each message",
            (CTIA_HANDBOOK, CARRIER_FORMATS, VONAGE, MICROSOFT),
        ),
        RuleInfo(
            Rule.STOP_INSTRUCTIONS,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_help`, `message_already_subscribed`, `message_reply`",
            'no opt-out instruction written as one ("Reply STOP to cancel", "Txt STOP to end")',
            "every program message that answers the subscriber must say how to stop",
            (CTIA_MPBP + " §5.1.2", CTIA_HANDBOOK, CARRIER_FORMATS, MICROSOFT),
        ),
        RuleInfo(
            Rule.HELP_INSTRUCTIONS,
            Severity.WARNING,
            f"{CONFIRMATIONS}, `message_already_subscribed`, `message_reply`",
            'no help instruction written as one ("Reply HELP for help")',
            "the subscriber must know how to reach support",
            (CTIA_HANDBOOK, MICROSOFT),
        ),
        RuleInfo(
            Rule.HELP_CONTACT,
            Severity.WARNING,
            "`message_help`",
            "a HELP reply without a contact (e-mail address, phone number or URL)",
            "HELP exists to reach a person; audits fail a HELP reply without a help source",
            (CTIA_HANDBOOK, CARRIER_FORMATS, MICROSOFT),
        ),
        RuleInfo(
            Rule.STOP_CONFIRMATION,
            Severity.WARNING,
            "`message_stop`",
            'a STOP reply that does not confirm the opt-out ("You are unsubscribed", "No more messages will be sent")',
            "every opt-out must be acknowledged, once",
            (CTIA_HANDBOOK, CARRIER_FORMATS, FCC, MICROSOFT),
        ),
        RuleInfo(
            Rule.STOP_MARKETING,
            Severity.WARNING,
            "`message_stop`",
            "marketing in a STOP reply: a URL, an offer, a price, or a keyword other than START, HELP or UNSTOP",
            "the FCC allows one opt-out confirmation with no marketing in it",
            (FCC, CARRIER_FORMATS),
        ),
        RuleInfo(
            Rule.CONSENT_WORDING,
            Severity.WARNING,
            "`message_yes`; the double opt-in request that asks for consent (`collected_data: yes`, else the first)",
            "a consent request that does not say the messages are recurring/automated marketing, that consent is "
            'not a condition of purchase, or how to agree ("Reply YES")',
            "prior express written consent must disclose these",
            (TCPA, CTIA_MPBP + " §5.1.2"),
        ),
        RuleInfo(
            Rule.URL_SHORTENER,
            Severity.WARNING,
            "every message",
            "a public URL shortener (bit.ly, tinyurl.com, goo.gl, is.gd, tiny.cc, ...)",
            "carriers filter messages with shared shortener domains: the message may never arrive",
            (CARRIER_CONTENT, CTIA_MPBP + " §5.3", MICROSOFT),
        ),
        RuleInfo(
            Rule.OPT_OUT_WORDING,
            Severity.WARNING,
            "every message",
            'opt-out words run together ("stop2quit", "txtSTOP")',
            "carriers refuse opt-out wording that a subscriber cannot send back as written",
            (CARRIER_CONTENT,),
        ),
        RuleInfo(
            Rule.KEYWORD_RESERVED,
            Severity.ERROR,
            "`keyword_names`",
            "a keyword that is a carrier command: STOP, END, CANCEL, UNSUBSCRIBE, QUIT, STOPALL, HELP, INFO",
            "carriers and the platform answer these words themselves; a list can never own them",
            (CTIA_HANDBOOK, FCC),
            configurable=False,
        ),
        RuleInfo(
            Rule.KEYWORD_RESERVED_EXTENDED,
            Severity.ERROR,
            "`keyword_names`",
            "a keyword that is an opt-out or opt-in command: START, UNSTOP, OPTOUT, REVOKE (an error only for a "
            "keyword the plan claims new; a keyword the account already holds is a warning)",
            "REVOKE and OPTOUT are opt-out requests by law: a keyword would subscribe someone who asked to stop; "
            "START and UNSTOP re-subscribe on the short code",
            (FCC, CTIA_HANDBOOK),
        ),
        RuleInfo(
            Rule.KEYWORD_RESERVED_ADVISORY,
            Severity.WARNING,
            "`keyword_names`",
            "a keyword that carriers or the platform may answer: Spanish ALTO (stop), INICIO (start), AUXILIO "
            "(help), and YES (the double opt-in reply)",
            "Spanish commands are honoured for Spanish programs; YES is how a double opt-in is confirmed",
            (CTIA_HANDBOOK, FCC),
        ),
    )
}

# Old account.lint keys, accepted with a deprecation warning; each sets the rules it was split into.
ALIASES: dict[str, tuple[Rule, ...]] = {
    "optin-disclosure": (Rule.RATES_DISCLOSURE, Rule.STOP_INSTRUCTIONS, Rule.HELP_INSTRUCTIONS),
    "help-content": (Rule.HELP_CONTACT,),
}

# Keywords by rule. The eight carrier commands (model.RESERVED_KEYWORDS) are the contract's (§3); the others follow the FCC's list of
# definitive opt-out words and the handbook's opt-in and Spanish commands.
EXTENDED_KEYWORDS = frozenset({"START", "UNSTOP", "OPTOUT", "REVOKE"})
ADVISORY_KEYWORDS = frozenset({"ALTO", "INICIO", "AUXILIO", "YES"})

NOT_CHECKABLE = (
    "consent capture pages and web forms",
    "privacy policy and terms contents",
    "age gates",
    "honouring opt-outs within 10 business days",
    "quiet hours (Florida's FTSA: 8 a.m. to 8 p.m.)",
    "whether the program matches its registered 10DLC campaign or short-code brief",
)


def configurable() -> list[RuleInfo]:
    return [info for info in CATALOGUE.values() if info.configurable]


def catalogue_markdown() -> str:
    lines = ["| rule | default | looks at | reports | why | source |", "|---|---|---|---|---|---|"]
    for info in CATALOGUE.values():
        default = info.default.value + ("" if info.configurable else " (fixed)")
        lines.append(
            f"| `{info.rule.value}` | {default} | {info.fields} | {info.checks} | {info.why} | "
            f"{'; '.join(info.sources)} |"
        )
    lines += [
        "",
        "Deprecated `account.lint` keys (accepted with a warning): "
        + "; ".join(f"`{old}` sets {', '.join(f'`{r.value}`' for r in new)}" for old, new in ALIASES.items())
        + ".",
        "",
        "Not checkable on text (out of scope): " + "; ".join(NOT_CHECKABLE) + ".",
    ]
    return "\n".join(lines)


def schema_lint_properties() -> dict[str, dict[str, object]]:
    """The schema's account.lint properties, as they must read (a test compares them)."""
    values: list[object] = [s.value for s in Severity] + [True, False]
    props: dict[str, dict[str, object]] = {
        info.rule.value: {"enum": values, "description": info.summary} for info in configurable()
    }
    for old, new in ALIASES.items():
        props[old] = {"enum": values, "description": "Deprecated: sets " + ", ".join(r.value for r in new) + "."}
    return props
