"""One YAML scalar as text, in the style of the text it replaces or of its siblings.

Every rendering is checked by reading it back with the same YAML reader the tool uses
(PyYAML, YAML 1.1: an unquoted ``yes`` is a boolean); a style that would not read back
as the exact value falls back to double quotes, which can hold any string.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import yaml

FOLD_WIDTH = 80  # a new folded block scalar wraps its words at this width


class Style(Enum):
    PLAIN = ""
    SINGLE = "'"
    DOUBLE = '"'
    LITERAL = "|"
    FOLDED = ">"

    @staticmethod
    def of(node_style: str | None) -> Style:
        return {None: Style.PLAIN, "'": Style.SINGLE, '"': Style.DOUBLE, "|": Style.LITERAL, ">": Style.FOLDED}.get(
            node_style, Style.PLAIN
        )


def _reads_back(text: str, value: Any) -> bool:
    try:
        loaded = yaml.safe_load("k: " + text)
    except yaml.YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == value and type(loaded.get("k")) is type(value)


def _double(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if _reads_back(text, value) else json.dumps(value)  # escapes for what YAML would fold


class Flow(str):
    """A collection already rendered as one flow value (pull.inherited): written as it is."""


def inline(value: Any, style: Style = Style.PLAIN) -> str:
    """A scalar on one line (flow context or after ``key: ``)."""
    if isinstance(value, Flow):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    value = str(value)
    if style is Style.SINGLE and "\n" not in value and _reads_back("'" + value.replace("'", "''") + "'", value):
        return "'" + value.replace("'", "''") + "'"
    if (
        style in (Style.PLAIN, Style.LITERAL, Style.FOLDED)
        and value
        and value == value.strip()
        and ("\n" not in value and not any(c in value for c in ",[]{}#") and _reads_back(value, value))
    ):
        return value  # brackets and commas excluded: the same text may go into a flow sequence
    return _double(value)


def block(value: str, style: Style, indent: int) -> str | None:
    """A block scalar (``|`` or ``>`` header, then lines at ``indent`` spaces), or None if it cannot hold value."""
    if not value or value[0] in " \t\n" or value.endswith("\n\n") or "\r" in value:
        return None
    chomp = "" if value.endswith("\n") else "-"
    body = value.removesuffix("\n")
    pad = " " * indent
    if style is Style.FOLDED:
        if "\n" in body or "  " in body or body.endswith(" "):
            return None
        lines, current = [], ""
        for word in body.split(" "):
            if current and len(current) + 1 + len(word) > FOLD_WIDTH:
                lines.append(current)
                current = word
            else:
                current = f"{current} {word}" if current else word
        lines.append(current)
        return ">" + chomp + "".join(f"\n{pad}{line}" for line in lines)
    return "|" + chomp + "".join(f"\n{pad}{line}" if line else "\n" for line in body.split("\n"))
