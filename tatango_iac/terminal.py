"""Text that is safe to show on a terminal: no raw control or bidi-override characters.

List names, messages and error bodies come from YAML files and from the API. Raw ESC
(colour, cursor moves, screen clears), BEL, carriage returns and bidi overrides
(which reorder what a reviewer reads) are shown escaped (``\\x1b``, ``\\u202e``).
Newlines and tabs stay: they are how multi-line output is laid out.
"""

from __future__ import annotations

import os
import re

BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe_codes() -> list[int]:
    c0 = [c for c in range(0x20) if c not in (0x09, 0x0A)]
    return c0 + [0x7F] + list(range(0x80, 0xA0)) + sorted(BIDI_CONTROLS)


_TABLE = {code: _escape(code) for code in _unsafe_codes()}
_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in _TABLE) + "]")


def safe(text: str) -> str:
    """Escape control and bidi-override characters (linear time)."""
    return text.translate(_TABLE)


def first_unsafe(text: str) -> int:
    """Index of the first character ``safe`` would escape, or -1 (for located diagnostics)."""
    found = _UNSAFE.search(text)
    return found.start() if found else -1


def colour_wanted(stream_is_tty: bool) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org)."""
    return stream_is_tty and not os.environ.get("NO_COLOR")
