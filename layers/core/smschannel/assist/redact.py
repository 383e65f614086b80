"""What never leaves for the model: e-mail addresses, card-like numbers and phone numbers, replaced by `[email]`,
`[card]` and `[phone]` in every message body before a prompt is built (docs/ai.md "What is sent").

Deliberately greedy: a run of 7 or more digits that is not a date or a time is taken for a phone number, since an
order number and a national phone number cannot be told apart by their digits. Card-like: 13 to 19 digits,
possibly grouped by single spaces or dashes (no Luhn check: a mistyped card number is still a card number).
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
# A candidate phone: an optional +, then digits with the separators people type (spaces, dots, dashes, brackets).
PHONE = re.compile(r"(?<![\w+])(?:\+|\(\s*)?\d[\d ().-]*\d(?!\w)")
DATE_OR_TIME = re.compile(
    r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)$"
)
PHONE_MIN_DIGITS = 7


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(char.isdigit() for char in found)
    if digits < PHONE_MIN_DIGITS or DATE_OR_TIME.match(found.strip()):
        return found
    return "[phone]"


def redact(text: str) -> str:
    """`text` with e-mail addresses, card-like numbers and phone numbers replaced."""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub("[card]", text)
    return PHONE.sub(_phone, text)
