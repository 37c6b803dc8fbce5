"""Live strings as configuration text: literal ``${`` escaped, ``${...}`` templates kept.

A value written through ``${NAME}`` keeps its template when the live value still
resolves from it (the variable's value is put back as ``${NAME}``, so a secret never
lands in the file). When the live value matches the template except for the variable's
value, the variable itself changed in the web UI: the template is kept, and the caller
warns that the variable must be updated where it is set (the value is never written).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tatango_iac.config.interpolate import UnsetVariable, interpolate_string
from tatango_iac.secrets import Templated

REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MIN_PUT_BACK = 4  # a shorter variable value could be an ordinary part of the text


@dataclass(frozen=True)
class Text:
    """What to write: ``text`` in configuration syntax, or None to keep the written template."""

    text: str | None
    changed_variables: tuple[str, ...] = ()


def literal(value: str) -> str:
    return value.replace("${", "$${")


def _pattern(template: str) -> re.Pattern[str] | None:
    parts = REFERENCE.split(template)
    if len(parts) == 1:
        return None
    out = []
    for i in range(0, len(parts), 3):
        out.append(re.escape(parts[i].replace("$${", "${")))
        if i + 1 < len(parts):
            out.append("(.*?)")
    return re.compile("".join(out), re.DOTALL)


def _values(template: str, env: Mapping[str, str]) -> list[tuple[str, str]]:
    """(reference as written, its value now) for each ${...} of the template."""
    found = []
    for match in REFERENCE.finditer(template):
        value = env.get(match.group(1)) or (match.group(2) if match.group(2) is not None else "")
        found.append((match.group(0), value))
    return found


def live_text(desired: object, live: str, env: Mapping[str, str]) -> Text:
    if not isinstance(desired, Templated):
        return Text(literal(live))
    template = desired.template
    values = _values(template, env)
    pattern = _pattern(template)
    match = pattern.fullmatch(live) if pattern else None
    if match and len(match.groups()) == len(values):
        changed = tuple(
            dict.fromkeys(
                REFERENCE.match(ref).group(1)  # type: ignore[union-attr]
                for (ref, now), seen in zip(values, match.groups(), strict=True)
                if seen != now
            )
        )
        if changed:
            return Text(None, changed)
        return Text(template)
    text = literal(live)
    for reference, value in sorted(values, key=lambda rv: len(rv[1]), reverse=True):
        if len(value) >= MIN_PUT_BACK:
            text = text.replace(literal(value), reference)
    try:
        if str(interpolate_string(text, env)) == live:
            return Text(text)
    except UnsetVariable:
        pass
    inside = tuple(
        REFERENCE.match(ref).group(1)  # type: ignore[union-attr]
        for ref, value in values
        if len(value) >= MIN_PUT_BACK and value in live
    )
    if inside:  # never write a variable's value in clear: leave this one to a person
        return Text(None, inside)
    return Text(literal(live))  # the variables' values do not appear in it: plain text
