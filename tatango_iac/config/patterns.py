"""Custom-field patterns, checked only as far as a portable regex engine can (warnings, never errors).

The API validates values with its own engine (Ruby's: ``\\A``, ``\\z``, possessive
quantifiers, atomic groups), which Python's ``re`` does not fully speak. We use the
``regex`` package, which reads those constructs, and bound every match by a timeout and
the whole run by a budget: a hostile pattern like ``^(a+)+$`` cannot hang validate.
"""

from __future__ import annotations

import time
from typing import Any

import regex

from tatango_iac.model import DesiredList

MATCH_TIMEOUT = 0.05  # seconds per default_value check
TOTAL_BUDGET = 1.0  # seconds for all checks of one run; beyond it the rest are skipped (with a warning)
MAX_PATTERN = 2000  # characters: a longer pattern is not compiled at all


def check_patterns(c: Any, lst: DesiredList) -> None:
    from tatango_iac.config.rules import at  # shared location helper

    for j, cf in enumerate(lst.custom_fields or []):
        pattern, default = cf.attrs.get("pattern"), cf.attrs.get("default_value")
        if not isinstance(pattern, str) or not pattern:
            continue
        where = at(lst, "custom_fields", j, "pattern")
        if len(pattern) > MAX_PATTERN:
            c.warn(where, f"pattern is {len(pattern)} characters: not checked", "custom-field-pattern")
            continue
        try:
            compiled = regex.compile(pattern)
        except (regex.error, RecursionError, OverflowError) as exc:
            c.warn(
                where, f"pattern could not be checked here ({exc}); the API's engine decides", "custom-field-pattern"
            )
            continue
        if isinstance(default, str) and default:
            _check_default(c, compiled, default, at(lst, "custom_fields", j, "default_value"))


def _check_default(c: Any, compiled: Any, default: str, where: Any) -> None:
    if c.pattern_seconds >= TOTAL_BUDGET:
        c.warn(
            where,
            "default_value not checked against its pattern: the time budget for pattern checks is used up",
            "custom-field-default",
        )
        return
    started = time.perf_counter()
    try:
        matched = compiled.search(default, timeout=MATCH_TIMEOUT)
    except TimeoutError:
        c.warn(
            where,
            f"default_value could not be checked: its pattern takes longer than {MATCH_TIMEOUT}s to "
            "match (catastrophic backtracking?)",
            "custom-field-default",
        )
        return
    finally:
        c.pattern_seconds += time.perf_counter() - started
    if matched is None:
        c.warn(
            where,
            f"default_value '{default[:60]}' does not match its pattern (as far as a portable engine can "
            "tell; the API's engine decides)",
            "custom-field-default",
        )
