"""Segment counts as carriers split SMS: GSM-7 160/153 with extension characters costing two septets, UCS-2
70/67 with characters outside the BMP costing two code units, pairs never split across parts."""

from __future__ import annotations

import pytest

from smschannel.segments import GSM7, UCS2, measure


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(0, 0, 160), (1, 1, 159), (153, 1, 7), (154, 1, 6), (160, 1, 0), (161, 2, 145), (306, 2, 0), (307, 3, 152)],
)
def test_gsm7_boundaries(length: int, segments: int, remaining: int) -> None:
    info = measure("a" * length)
    assert (info.encoding, info.segments, info.characters, info.remaining) == (GSM7, segments, length, remaining)


@pytest.mark.parametrize(
    ("length", "segments", "remaining"),
    [(1, 1, 69), (67, 1, 3), (68, 1, 2), (70, 1, 0), (71, 2, 63), (134, 2, 0), (135, 3, 66)],
)
def test_ucs2_boundaries(length: int, segments: int, remaining: int) -> None:
    info = measure("ж" * length)
    assert (info.encoding, info.segments, info.remaining) == (UCS2, segments, remaining)


def test_euro_and_brackets_stay_gsm7_but_count_two_septets() -> None:
    info = measure("€" * 80)
    assert (info.encoding, info.segments, info.characters, info.remaining) == (GSM7, 1, 80, 0)
    assert measure("[" * 81).segments == 2
    assert measure("{}" + "a" * 156).segments == 1  # 4 + 156 = 160 septets
    assert measure("{}" + "a" * 157).segments == 2


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 septets then '€' (2): the pair does not fit in part one's last septet and starts part two.
    info = measure("a" * 152 + "€" + "a" * 10)
    assert info.segments == 2
    assert info.remaining == 153 - 12


def test_one_emoji_makes_the_message_ucs2_and_costs_two_code_units() -> None:
    info = measure("Thanks! 👍")
    assert (info.encoding, info.segments, info.characters, info.remaining) == (UCS2, 1, 9, 70 - 10)
    assert measure("👍" * 35).segments == 1  # 70 code units
    assert measure("👍" * 36).segments == 2
    # 66 units then a surrogate pair: it moves whole to part two.
    split = measure("a" * 66 + "👍" + "b" * 10)
    assert (split.segments, split.remaining) == (2, 67 - 12)


def test_characters_outside_gsm7_switch_the_whole_message_to_ucs2() -> None:
    assert measure("café").encoding == GSM7  # é is in the GSM-7 default alphabet
    assert measure("ça va").encoding == UCS2  # lower-case ç is not (only Ç is)
    assert measure("a" * 100 + "ç").segments == 2  # 101 UCS-2 units: two parts of 67
