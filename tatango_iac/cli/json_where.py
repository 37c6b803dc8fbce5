"""Where a value of an already-parsed JSON text starts, as line:column (for messages about its shape).

``json`` gives positions only for syntax errors; a file that parses but is not as expected
(an unknown key, a bad time) must still be named FILE:LINE:COL. One pass along the path
only: each container on it is walked key by key, every other value skipped with
``raw_decode`` (linear in the text; the text has been parsed once already, so it is valid).
"""

from __future__ import annotations

from json import JSONDecoder
from typing import Optional, Union

Step = Union[str, int]
_DECODER = JSONDecoder()
_SPACE = " \t\n\r"


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _members(text: str, pos: int) -> list[tuple[Step, int]]:
    """The keys (an object) or indexes (an array) of the container at ``pos``, each with its value's start."""
    opening, out, index = text[pos], [], 0
    closing = "}" if opening == "{" else "]"
    pos = _skip(text, pos + 1)
    while pos < len(text) and text[pos] != closing:
        step: Step = index
        if opening == "{":
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, _skip(text, pos) + 1)  # past the ':'
            step = key
        out.append((step, pos))
        _value, pos = _DECODER.raw_decode(text, pos)
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
        index += 1
    return out


def offset_of(text: str, path: tuple[Step, ...]) -> int:
    """The offset of the deepest value along ``path`` that exists (the document itself at worst)."""
    pos = _skip(text, 0)
    for step in path:
        if pos >= len(text) or text[pos] not in "{[":
            break
        found: Optional[int] = next((start for key, start in _members(text, pos) if key == step), None)
        if found is None:
            break
        pos = found
    return pos


def line_col(text: str, path: tuple[Step, ...]) -> tuple[int, int]:
    pos = offset_of(text, path)
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1
