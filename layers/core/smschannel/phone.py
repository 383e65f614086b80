"""Phone numbers to E.164 with `phonenumbers`; short codes and alphanumeric senders are kept as they are."""

from __future__ import annotations

import re

import phonenumbers

_ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-_&]{1,11}$")
_SHORT_CODE = re.compile(r"^\d{3,8}$")
_SEPARATORS = re.compile(r"[\s().\-/]")


def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """E.164 for a full number (with `+`, `00`, or national with the account's region).

    A short code (3-8 digits with no region match) and an alphanumeric sender id are returned as given
    (stripped), since providers deliver both and rejecting them would lose the customer's message.
    """
    value = raw.strip()
    if not value:
        raise ValueError("empty phone number")
    if _ALPHANUMERIC.match(value):
        return value
    compact = _SEPARATORS.sub("", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.isdigit() and not default_region and len(compact) > 8:
        # Providers such as Vonage and Plivo send international numbers without the `+`.
        compact = "+" + compact
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else (default_region or "US"))
    except phonenumbers.NumberParseException as exc:
        if _SHORT_CODE.match(compact):
            return compact
        raise ValueError(f"not a phone number: {raw!r}") from exc
    if _SHORT_CODE.match(compact) and not phonenumbers.is_possible_number(parsed):
        return compact
    if not phonenumbers.is_possible_number(parsed):
        if _SHORT_CODE.match(compact):
            return compact
        raise ValueError(f"not a possible phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """For logs: keep the country code and the last two digits."""
    if len(phone) <= 5:
        return "***"
    return phone[:3] + "*" * (len(phone) - 5) + phone[-2:]
