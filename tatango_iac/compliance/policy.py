"""The account's choice of severity per rule (``account.lint``).

Each key takes ``off``, ``warning`` or ``error``; ``true`` keeps the rule's default and
``false`` is ``off`` (the form older configurations use; YAML also reads an unquoted
``off`` as false). A deprecated key sets the rules it was split into, unless those are
set themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from tatango_iac.compliance.catalogue import ALIASES, CATALOGUE, Rule, Severity


def _severity(rule: Rule, value: Any) -> Severity:
    if value is True:
        return CATALOGUE[rule].default
    if value is False:
        return Severity.OFF
    return Severity(value)


@dataclass(frozen=True)
class Policy:
    severities: Mapping[Rule, Severity] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, lint: Mapping[str, Any]) -> "Policy":
        chosen: dict[Rule, Severity] = {}
        for old, rules in ALIASES.items():
            if old in lint:
                for rule in rules:
                    chosen[rule] = _severity(rule, lint[old])
        for rule in CATALOGUE:
            if rule.value in lint and CATALOGUE[rule].configurable:
                chosen[rule] = _severity(rule, lint[rule.value])
        return cls(chosen)

    def severity(self, rule: Rule) -> Severity:
        return self.severities.get(rule, CATALOGUE[rule].default)

    def enabled(self) -> frozenset[Rule]:
        return frozenset(rule for rule in CATALOGUE if self.severity(rule) is not Severity.OFF)


def deprecated_keys(lint: Mapping[str, Any]) -> list[str]:
    return [key for key in lint if key in ALIASES]
