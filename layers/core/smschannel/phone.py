"""Phone numbers to E.164 with `phonenumbers`; short codes and alphanumeric senders are kept as they are.

`phonenumbers` is imported by the first number normalised, not with this module: the webhook function's status
route (delivery callbacks, two or more per reply) never normalises one, so a container a callback starts never
pays for it (~0.09 of the import floor, `bench/import_time.py`); one a message starts pays it on that message.
"""

from __future__ import annotations

import re

_ALPHANUMERIC = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .\-_&]{1,11}$")
# What an account may send from instead of a number (and only when its options say so): GSM-safe letters, digits
# and spaces, at least one letter, at most 11 characters (the SMS originator's limit).
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
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
    import phonenumbers

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
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    # A number whose digits after the country code read as a national prefix (`+82 0...`) loses them when
    # formatted, and its E.164 would then normalize to yet another number: the same customer would be two phones.
    if phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.E164) != e164:
        raise ValueError(f"not a possible phone number: {raw!r}")
    return e164


def normalize_account_number(raw: str, default_region: str | None, alphanumeric_sender: bool) -> str:
    """An account's own `phoneNumber`: E.164, a short code (3-8 digits: many businesses text from one), or an
    alphanumeric sender id when the account asks for one (`options.alphanumericSender`). Stricter than
    `normalize_phone`, which must take whatever a customer's message comes from: an account that sends from a word
    it did not mean (`banana`) is refused, with why."""
    value = raw.strip()
    if alphanumeric_sender and _SENDER_ID.match(value):
        return value
    normalized = normalize_phone(value, default_region)
    if normalized.startswith("+") or _SHORT_CODE.match(normalized):
        return normalized
    if alphanumeric_sender:
        raise ValueError(
            "not an E.164 number, a short code nor an alphanumeric sender id (1-11 letters, digits, spaces, a "
            f"letter): {raw!r}"
        )
    raise ValueError(
        f"not an E.164 phone number nor a short code: {raw!r} (an alphanumeric sender id needs "
        "options.alphanumericSender: true)"
    )


def mask_phone(phone: str) -> str:
    """For logs: keep the country code and the last two digits."""
    if len(phone) <= 5:
        return "***"
    return phone[:3] + "*" * (len(phone) - 5) + phone[-2:]
