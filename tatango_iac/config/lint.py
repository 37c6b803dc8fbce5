"""Message and keyword lint (§3, §15): the compliance rules run over every configured
message and keyword, each reported with its rule id at the severity the account chose
in ``account.lint``. The rules themselves live in ``tatango_iac.compliance``; a rule
that is off is not computed at all, and every check runs in time linear in the text.
"""

from __future__ import annotations

from typing import Any

from tatango_iac.compliance import Policy, Rule, Severity, check_keyword, check_message
from tatango_iac.compliance.catalogue import ALIASES, CATALOGUE
from tatango_iac.compliance.context import list_messages
from tatango_iac.compliance.encoding import GSM7_BASIC, GSM7_EXTENSION, sms_parts
from tatango_iac.compliance.patterns import has_contact
from tatango_iac.model import DesiredList, Source, normalize_keyword
from tatango_iac.secrets import display

LINT_RULES = tuple(info.rule.value for info in CATALOGUE.values() if info.configurable)

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "LINT_RULES", "has_contact", "lint_account", "lint_list", "sms_parts"]


def _report(c: Any, where: Source, message: str, rule: Rule, severity: Severity) -> None:
    if severity is Severity.ERROR:
        c.error(where, message, rule.value)
    elif severity is Severity.WARNING:
        c.warn(where, message, rule.value)


def lint_account(c: Any) -> Policy:
    """The account's severities; a deprecated account.lint key is reported where it is written."""
    settings = c.account.account
    for key in settings.lint:
        where = settings.lint_sources.get(key, settings.source)
        if key in ALIASES and where is not None:
            c.warn(
                where,
                f"account.lint.{key} is deprecated: it sets "
                f"{', '.join(r.value for r in ALIASES[key])}; write those instead",
                "lint-deprecated",
            )
    return Policy.from_settings(settings.lint)


def lint_list(c: Any, lst: DesiredList, policy: Policy | None = None) -> None:
    from tatango_iac.config.rules import at  # shared location helper

    policy = policy or Policy.from_settings(c.account.account.lint)
    enabled = policy.enabled()
    for name, text, path, context in list_messages(lst, c.account.account.brand):
        where = at(lst, *path)
        for finding in check_message(name, text, context, enabled):
            _report(c, where, finding.message(name), finding.rule, policy.severity(finding.rule))
    if not lst.delete:
        _lint_keywords(c, lst, policy, enabled)


def _lint_keywords(c: Any, lst: DesiredList, policy: Policy, enabled: frozenset[Rule]) -> None:
    from tatango_iac.config.rules import at

    for j, keyword in enumerate(lst.keyword_names or []):
        rule = check_keyword(keyword)
        if rule is None or rule is Rule.KEYWORD_RESERVED or rule not in enabled:
            continue  # the eight carrier commands are an error of their own (config.rules)
        upper, where = normalize_keyword(keyword), at(lst, "keyword_names", j)
        message = (
            f"'{display(keyword)}' is an opt-out or opt-in command on the short code"
            if rule is Rule.KEYWORD_RESERVED_EXTENDED
            else f"'{display(keyword)}' is a command carriers or the platform may answer (Spanish commands, YES)"
        )
        if policy.severity(rule) is Severity.ERROR:
            # Like other rules the reference does not back: a live keyword is kept, a new one refused.
            c.new_value(lst, "keyword", upper, where, message, rule.value)
        else:
            _report(c, where, message, rule, policy.severity(rule))
