from __future__ import annotations

import pytest

from smschannel.phone import mask_phone, normalize_account_number, normalize_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+14155552671", None, "+14155552671"),
        ("+1 (415) 555-2671", None, "+14155552671"),
        ("0044 20 7946 0958", None, "+442079460958"),
        ("14155552671", None, "+14155552671"),  # Vonage/Plivo send international numbers without '+'
        ("447700900123", None, "+447700900123"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_full_numbers_become_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12345", "898211", "72727"])
def test_short_codes_are_kept_not_rejected(raw: str) -> None:
    assert normalize_phone(raw, "US") == raw


@pytest.mark.parametrize("raw", ["ACME", "MyBank", "Info-Line"])
def test_alphanumeric_senders_are_kept(raw: str) -> None:
    assert normalize_phone(raw) == raw


@pytest.mark.parametrize("raw", ["", "   ", "+1", "not a number at all!"])
def test_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_phone(raw)


def test_masking_keeps_country_code_and_last_digits_only() -> None:
    assert mask_phone("+14155552671") == "+14*******71"
    assert "5555" not in mask_phone("+14155552671")


@pytest.mark.parametrize(
    ("raw", "region", "alphanumeric", "expected"),
    [
        ("+1 (415) 555-2671", None, False, "+14155552671"),
        ("020 7946 0958", "GB", False, "+442079460958"),
        ("Acme Bank", None, True, "Acme Bank"),
        ("+14155552671", None, True, "+14155552671"),  # a number stays a number when a sender id is allowed
        ("72727", None, False, "72727"),  # a short code: businesses text from them
        ("12345", "US", True, "12345"),  # no letter: a short code, not a sender id
    ],
)
def test_an_account_sends_from_e164_a_short_code_or_a_sender_id_it_asked_for(
    raw: str, region: str | None, alphanumeric: bool, expected: str
) -> None:
    assert normalize_account_number(raw, region, alphanumeric) == expected


@pytest.mark.parametrize(
    ("raw", "alphanumeric"),
    [
        ("banana", False),  # a sender id the account did not ask for
        ("12345678901234567890", True),
        ("TwelveLetter", True),  # 12 characters
        ("123456789", False),  # nine digits and no country: neither a number nor a short code
        ("Info-Line", True),  # '-' is not a sender id character
    ],
)
def test_an_account_number_that_is_neither_is_refused(raw: str, alphanumeric: bool) -> None:
    with pytest.raises(ValueError, match=r"^not a"):
        normalize_account_number(raw, None, alphanumeric)


def test_a_number_whose_e164_would_normalize_to_another_is_refused() -> None:
    """Found by tests/unit/fuzz: `820000000` read as +82 then "0000000" (a national prefix) formats as +82000000,
    which normalizes to +8200000: one customer would become two phones, so it is refused (archived, not lost)."""
    with pytest.raises(ValueError, match="not a possible phone number"):
        normalize_phone("820000000")
    assert normalize_phone(normalize_phone("+82000000")) == normalize_phone("+82000000")
    assert normalize_phone("+44 (0)20 7946 0018") == "+442079460018"  # a written national prefix is still dropped
