"""SMS encoding and parts, as carriers count them (3GPP TS 23.038 / 23.040).

A message that fits the GSM-7 alphabet is sent in 7-bit units: 160 in one part, 153
per part once it is split (the rest carries the concatenation header). One character
outside GSM-7 makes the whole message UCS-2: 70 in one part, 67 per part. The
reviewer needs to know which character did it, so ``culprit`` names it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")  # each is an escape plus a character: counts as two
CURLY = frozenset("\u2018\u2019\u201c\u201d")


class Encoding(str, Enum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsInfo:
    length: int  # in encoding units (GSM-7 septets or UTF-16 code units)
    parts: int
    encoding: Encoding

    def text(self) -> str:
        return f"{self.parts} part{'s' if self.parts != 1 else ''} {self.encoding.value} ({self.length} characters)"

    def to_json(self) -> dict[str, object]:
        return {"length": self.length, "parts": self.parts, "encoding": self.encoding.value}


def is_gsm7(char: str) -> bool:
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def sms_info(text: str) -> SmsInfo:
    if all(is_gsm7(c) for c in text):
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        return SmsInfo(length, 1 if length <= 160 else math.ceil(length / 153), Encoding.GSM7)
    length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16: astral characters take two units
    return SmsInfo(length, 1 if length <= 70 else math.ceil(length / 67), Encoding.UCS2)


def sms_parts(text: str) -> tuple[int, int, bool]:
    """(length in encoding units, number of SMS parts, is GSM-7)."""
    info = sms_info(text)
    return info.length, info.parts, info.encoding is Encoding.GSM7


def outside_gsm7(text: str, limit: int = 20) -> str:
    """The distinct characters that force UCS-2, sorted, at most ``limit`` of them."""
    return "".join(sorted({c for c in text if not is_gsm7(c)}))[:limit]


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code <= 0x27BF or code in (0xFE0F, 0x200D)


def culprit(text: str) -> str:
    """What makes a text UCS-2, said the way a reviewer fixes it: "the emoji '😀'"."""
    for char in text:
        if is_gsm7(char):
            continue
        if _is_emoji(char):
            return f"the emoji {char!r}"
        if char in CURLY:
            return f"the curly quote {char!r}"
        return f"the character {char!r} (U+{ord(char):04X})"
    return ""


def change_summary(before: str | None, after: str | None) -> str:
    """ "1 part GSM-7 (98 characters) -> 2 parts UCS-2 (71 characters): the emoji '😀'"; a new message shows
    only its own parts, a cleared one "-> none"."""
    new_info = sms_info(after) if after else None
    new = new_info.text() if new_info else "none"
    line = f"{sms_info(before).text()} -> {new}" if before else new
    if (
        after
        and new_info
        and new_info.encoding is Encoding.UCS2
        and not (before and sms_info(before).encoding is Encoding.UCS2)
    ):
        line += f": {culprit(after)}"
    return line
