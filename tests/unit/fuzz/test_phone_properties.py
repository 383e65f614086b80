"""Properties of the phone normalizer for any input a provider may send: it answers E.164 (or a short code or an
alphanumeric sender as given) or refuses with ValueError, and what it answers normalizes to itself."""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from smschannel.phone import normalize_phone

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
]


@st.composite
def real_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    region = draw(st.sampled_from(REGIONS))
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        number = phonenumbers.example_number(region)
    if number is None:
        number = phonenumbers.example_number("US")
        region = "US"
    assert number is not None
    return region, number


ANY_INPUT = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="+0123456789 ()-./", max_size=25),
    st.from_regex(r"\A\+?[0-9]{1,20}\Z"),
)


@given(ANY_INPUT, st.sampled_from([None, "US", "IT", "GB", "IN", "BR"]))
def test_any_input_is_normalized_or_refused_and_a_result_is_its_own_normal_form(raw: str, region: str | None) -> None:
    try:
        normalized = normalize_phone(raw, region)
    except ValueError:
        return
    assert normalized == normalized.strip() and normalized
    if normalized.startswith("+"):
        assert E164.match(normalized), normalized
    assert normalize_phone(normalized, region) == normalized


@given(real_numbers(), st.sampled_from(FORMATS))
def test_a_real_number_in_any_written_format_normalizes_to_its_e164(
    found: tuple[str, phonenumbers.PhoneNumber], written: int
) -> None:
    region, number = found
    expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    text = phonenumbers.format_number(number, written)
    assert normalize_phone(text, region) == expected
