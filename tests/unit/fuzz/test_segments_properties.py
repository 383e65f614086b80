"""Properties of the segment counter for any text: the encoding is GSM-7 exactly when every character is in its
alphabet, the count agrees with the units the text costs, and a longer text never takes fewer segments."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from smschannel.segments import GSM7, GSM7_BASIC, GSM7_EXTENSION, PART, SINGLE, UCS2, measure

GSM_TEXT = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=700)
TEXT = st.one_of(GSM_TEXT, ANY_TEXT)


def units(body: str, encoding: str) -> int:
    if encoding == GSM7:
        return sum(2 if char in GSM7_EXTENSION else 1 for char in body)
    return len(body.encode("utf-16-le")) // 2


@given(TEXT)
def test_the_encoding_is_gsm7_exactly_when_every_character_is_in_its_alphabet(body: str) -> None:
    expected = GSM7 if set(body) <= GSM7_BASIC | GSM7_EXTENSION else UCS2
    assert measure(body).encoding == expected


@given(TEXT)
def test_the_count_agrees_with_the_units_the_text_costs(body: str) -> None:
    info = measure(body)
    total = units(body, info.encoding)
    assert info.characters == len(body)
    if not body:
        assert (info.segments, info.remaining) == (0, SINGLE[info.encoding])
    elif total <= SINGLE[info.encoding]:
        assert (info.segments, info.remaining) == (1, SINGLE[info.encoding] - total)
    else:
        # Whole parts of PART units, or one unit fewer when a two-unit character would straddle a boundary.
        size = PART[info.encoding]
        assert math.ceil(total / size) <= info.segments <= math.ceil(total / (size - 1))
        assert 0 <= info.remaining < size


@given(TEXT, TEXT)
def test_a_longer_text_never_takes_fewer_segments(head: str, tail: str) -> None:
    assert measure(head + tail).segments >= measure(head).segments
