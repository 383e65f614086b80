"""Properties of the trigger condition engine for any rule and any event: a rule is compiled or refused with a
RuleError naming where (the 422's field), never another exception; a compiled rule answers a bool for any facts,
including values of the wrong type; `notEquals` is the negation of `equals`; case folding is symmetric."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smschannel.triggers.conditions import FIELDS, Facts, RuleError, compile_conditions, time_zone
from smschannel.triggers.model import ConditionRule, Conditions

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
VALUES: st.SearchStrategy[Any] = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)
)
FIELD_NAMES = st.one_of(
    st.sampled_from(sorted(FIELDS)),
    st.text(min_size=1, max_size=10).map(lambda key: "attributes." + key),
    st.text(min_size=1, max_size=10),
)
OPS = st.sampled_from(["equals", "notEquals", "contains", "startsWith", "regex", "in", "between"])
RULES = st.builds(
    lambda field, op, value, case: ConditionRule(field=field, op=op, value=value, case_sensitive=case),
    FIELD_NAMES,
    OPS,
    st.one_of(VALUES, st.from_regex(r"\A[\\(\[\]a-z.*+?|{}0-9^$]{0,12}\Z")),
    st.booleans(),
)
# An interaction's fields as the stream delivers them: any JSON-ish value, and its attributes always a map (the
# model validates them) whose values may be anything.
EVENT_VALUES = st.builds(
    lambda fields, attributes: {**fields, "attributes": attributes},
    st.dictionaries(st.sampled_from(sorted(FIELDS - {"body", "localTime", "weekday", "holiday"})), VALUES, max_size=6),
    st.dictionaries(st.text(max_size=5), VALUES, max_size=3),
)
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def facts(values: dict[str, Any], body: Any, now: datetime) -> Facts:
    return Facts(values=values, now=now, zone=time_zone("Europe/Rome"), body=body if isinstance(body, str) else None)


@given(st.lists(RULES, max_size=4), st.sampled_from(["all", "any"]), EVENT_VALUES, st.text(max_size=30), MOMENTS)
def test_a_rule_is_compiled_or_refused_by_name_and_answers_a_bool_for_any_event(
    rules: list[ConditionRule], match: str, values: dict[str, Any], body: str, now: datetime
) -> None:
    try:
        matcher = compile_conditions(Conditions(match=match, rules=rules))
    except RuleError as refused:
        assert refused.field.startswith("conditions.rules[") and refused.message
        return
    assert matcher.matches(facts(values, body, now)) in (True, False)


@given(RULES, EVENT_VALUES, st.text(max_size=30), MOMENTS)
def test_not_equals_is_the_negation_of_equals(
    rule: ConditionRule, values: dict[str, Any], body: str, now: datetime
) -> None:
    equals = rule.model_copy(update={"op": "equals"})
    not_equals = rule.model_copy(update={"op": "notEquals"})
    try:
        yes = compile_conditions(Conditions(rules=[equals]))
        no = compile_conditions(Conditions(rules=[not_equals]))
    except RuleError:
        return
    event = facts(values, body, now)
    assert yes.matches(event) != no.matches(event)


@given(st.text(min_size=1, max_size=20), st.text(max_size=20), st.text(max_size=20))
def test_case_insensitive_contains_ignores_case_on_both_sides(needle: str, before: str, after: str) -> None:
    rule = ConditionRule(field="body", op="contains", value=needle.upper())
    matcher = compile_conditions(Conditions(rules=[rule]))
    event = facts({}, before + needle.lower() + after, datetime(2026, 1, 1, tzinfo=UTC))
    assert matcher.matches(event) == (needle.upper().casefold() in (before + needle.lower() + after).casefold())
