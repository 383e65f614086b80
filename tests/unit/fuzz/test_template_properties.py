"""Properties of the one placeholder syntax for any text and any values: rendering never fails, text without a
placeholder is left as written, a value is inserted literally (never rendered again, whatever braces it holds), and
a value is computed at most once however often the text uses it."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from smschannel.templates import PLACEHOLDERS, placeholders_of, render

NAMES = st.sampled_from(PLACEHOLDERS)
BRACES = st.text(alphabet="{} abcXYZ", max_size=12)
PIECES = st.one_of(st.text(max_size=20), BRACES, NAMES.map(lambda name: "{{" + name + "}}"))
TEXTS = st.lists(PIECES, max_size=8).map("".join)
VALUES = st.dictionaries(NAMES, st.one_of(st.none(), st.integers(), st.text(max_size=20), BRACES), max_size=5)


@given(TEXTS, VALUES, st.booleans())
def test_rendering_never_fails_and_inserts_each_value_literally(
    text: str, values: dict[str, object], single: bool
) -> None:
    calls: Counter[str] = Counter()

    def getter(name: str, value: object) -> object:
        def get() -> object:
            calls[name] += 1
            return value

        return get

    rendered = render(text, {name: getter(name, value) for name, value in values.items()}, single_brace=single)
    assert all(count == 1 for count in calls.values())
    if not placeholders_of(text) and not single:
        assert rendered == text


@given(st.text(max_size=60))
def test_a_value_full_of_placeholders_is_inserted_as_it_is(value: str) -> None:
    hostile = value + "{{phone}}{accountName}{{ contactName }}"
    rendered = render("Hi {{contactName}}!", {"contactName": lambda: hostile, "phone": lambda: "+1555"})
    assert rendered == f"Hi {hostile}!"


@given(st.text(alphabet=st.characters(exclude_characters="{}"), max_size=80), NAMES)
def test_a_missing_value_renders_empty_never_as_the_raw_placeholder(around: str, name: str) -> None:
    assert render(around + "{{" + name + "}}" + around, {}) == around + around
