"""Compliance review of what the phone receives (§15): the rules that can be checked on
message text and keywords, their catalogue, the account's severities, SMS encoding, and
the review of a plan's message changes. Pure: no I/O.
"""

from tatango_iac.compliance.catalogue import CATALOGUE, Rule, Severity
from tatango_iac.compliance.check import Finding, MessageContext, Presence, check_keyword, check_message
from tatango_iac.compliance.encoding import sms_info, sms_parts
from tatango_iac.compliance.policy import Policy

__all__ = [
    "CATALOGUE",
    "Finding",
    "MessageContext",
    "Policy",
    "Presence",
    "Rule",
    "Severity",
    "check_keyword",
    "check_message",
    "sms_info",
    "sms_parts",
]
