"""How many SMS segments a body takes: GSM-7 (160 septets alone, 153 per part) or UCS-2 (70 code units alone,
67 per part), as carriers split it.

GSM-7's extension table (`€`, `[`, `{`, ...) costs two septets (escape + character); UCS-2 counts UTF-16 code
units, so a character outside the Basic Multilingual Plane (most emoji) costs two. Neither pair is ever split
across two parts, as real splitters keep them together, so a long body may take one more part than a plain
division says.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# 3GPP TS 23.038 default alphabet and its extension table (each extension character is sent as ESC + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE = {GSM7: 160, UCS2: 70}
PART = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # GSM-7 | UCS-2
    segments: int
    characters: int  # characters as the user typed them (code points)
    remaining: int  # units (septets or UTF-16 code units) still free in the last segment

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def encoding_of(body: str) -> str:
    return GSM7 if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in body) else UCS2


def _units(body: str, encoding: str) -> list[int]:
    """The cost of each character in its encoding's units."""
    if encoding == GSM7:
        return [2 if char in GSM7_EXTENSION else 1 for char in body]
    return [2 if ord(char) > 0xFFFF else 1 for char in body]


def measure(body: str) -> SegmentInfo:
    """Encoding, segment count and room left for `body` (an empty body is 0 segments, 160 septets free)."""
    encoding = encoding_of(body)
    costs = _units(body, encoding)
    total = sum(costs)
    if total <= SINGLE[encoding]:
        segments = 1 if body else 0
        return SegmentInfo(encoding, segments, len(body), SINGLE[encoding] - total)
    size = PART[encoding]
    segments, used = 1, 0
    for cost in costs:
        if used + cost > size:  # a pair that does not fit starts the next part whole
            segments, used = segments + 1, 0
        used += cost
    return SegmentInfo(encoding, segments, len(body), size - used)
