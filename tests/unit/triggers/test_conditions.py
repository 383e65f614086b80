"""The condition engine: every field and op, case sensitivity, the regex limits, time zones, DST and holidays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smschannel.triggers.conditions import (
    Facts,
    RuleError,
    compile_conditions,
    time_zone,
)
from smschannel.triggers.model import Conditions

NOON_UTC = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def facts(now: datetime = NOON_UTC, zone: str = "UTC", holidays: frozenset[str] = frozenset(), **values: Any) -> Facts:
    body = values.pop("body", "")
    defaults = {
        "from": "+14155550123",
        "to": "+15005550006",
        "queueId": "support",
        "agentId": None,
        "firstMessage": True,
        "disposition": None,
        "tags": ["vip"],
        "attributes": {"plan": "Gold", "score": 7},
    }
    return Facts(values={**defaults, **values}, now=now, zone=time_zone(zone), holidays=holidays, body=body)


def matches(rules: list[dict[str, Any]], match: str = "all", **fact_values: Any) -> bool:
    return compile_conditions(Conditions.model_validate({"match": match, "rules": rules})).matches(facts(**fact_values))


def rule(field: str, op: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, **extra}


def test_no_rules_always_match() -> None:
    assert matches([])


@pytest.mark.parametrize(
    ("op", "value", "body", "expected"),
    [
        ("equals", "billing", "BILLING", True),
        ("equals", "billing", "billing please", False),
        ("notEquals", "billing", "hello", True),
        ("notEquals", "billing", "Billing", False),
        ("contains", "bill", "my Bill is wrong", True),
        ("contains", "refund", "my bill is wrong", False),
        ("startsWith", "stop", "STOP all", True),
        ("startsWith", "stop", "please stop", False),
        ("regex", r"\border\s*#?\d+", "Where is order #1234?", True),
        ("regex", r"^\d{5}$", "1234", False),
        ("in", ["yes", "y", "ok"], "OK", True),
        ("in", ["yes", "y"], "no", False),
        ("between", ["a", "m"], "hello", True),
        ("between", ["a", "m"], "zebra", False),
    ],
)
def test_text_ops_on_the_body(op: str, value: Any, body: str, expected: bool) -> None:
    assert matches([rule("body", op, value)], body=body) is expected


def test_case_sensitive_rules_compare_exactly() -> None:
    assert not matches([rule("body", "equals", "Billing", caseSensitive=True)], body="billing")
    assert matches([rule("body", "equals", "Billing", caseSensitive=True)], body="Billing")
    assert not matches([rule("body", "regex", "^Bill", caseSensitive=True)], body="bill")
    assert matches([rule("body", "regex", "^Bill")], body="bill")


def test_every_field_can_be_matched() -> None:
    assert matches([rule("from", "startsWith", "+1415")])
    assert matches([rule("to", "equals", "+15005550006")])
    assert matches([rule("queueId", "in", ["support", "sales"])])
    assert matches([rule("agentId", "equals", None)])
    assert matches([rule("agentId", "equals", "agent-1")], agentId="agent-1")
    assert matches([rule("firstMessage", "equals", True)])
    assert not matches([rule("firstMessage", "equals", "true")], firstMessage=False)
    assert matches([rule("disposition", "equals", "resolved")], disposition="Resolved")
    assert matches([rule("tags", "contains", "VIP")])
    assert not matches([rule("tags", "contains", "vi")])  # a tag, not a substring of one
    assert matches([rule("tags", "in", ["new", "vip"])])
    assert matches([rule("tags", "notEquals", "blocked")])
    assert matches([rule("attributes.plan", "equals", "gold")])
    assert matches([rule("attributes.score", "between", [5, 10])])
    assert not matches([rule("attributes.score", "between", [8, 10])])
    assert not matches([rule("attributes.missing", "contains", "x")])
    assert matches([rule("attributes.missing", "equals", None)])


def test_match_all_and_any() -> None:
    rules = [rule("body", "contains", "bill"), rule("queueId", "equals", "sales")]
    assert not matches(rules, "all", body="bill")
    assert matches(rules, "any", body="bill")
    assert not matches(rules, "any", body="hello")


@pytest.mark.parametrize(
    ("rules", "field", "fragment"),
    [
        ([rule("nope", "equals", "x")], "conditions.rules[0].field", "unknown field"),
        ([rule("body", "regex", "(unclosed")], "conditions.rules[0].value", "invalid regex"),
        ([rule("body", "regex", "x" * 201)], "conditions.rules[0].value", "at most 200"),
        ([rule("body", "regex", r"(bill)\s+\1")], "conditions.rules[0].value", "no backreferences"),
        ([rule("body", "regex", r"(?=.*refund)order")], "conditions.rules[0].value", "no lookarounds"),
        ([rule("body", "regex", r"(?<!not )urgent")], "conditions.rules[0].value", "invalid perl operator"),
        ([rule("body", "in", "billing")], "conditions.rules[0].value", "list"),
        ([rule("body", "between", [1])], "conditions.rules[0].value", "[low, high]"),
        ([rule("body", "contains", "")], "conditions.rules[0].value", "non-empty"),
        (
            [rule("body", "equals", "x"), rule("localTime", "between", ["9:00", "17:00"])],
            "conditions.rules[1].value",
            "HH:MM",
        ),
        ([rule("weekday", "in", ["mon", "funday"])], "conditions.rules[0].value", "weekday"),
        ([rule("localTime", "contains", "09")], "conditions.rules[0].op", "localTime supports"),
        ([rule("firstMessage", "equals", "maybe")], "conditions.rules[0].value", "true or false"),
    ],
)
def test_invalid_rules_name_their_field(rules: list[dict[str, Any]], field: str, fragment: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_conditions(Conditions.model_validate({"rules": rules}))
    assert caught.value.field == field
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("pattern", "ending"),
    [("^(a+)+$", ""), (r"^(\w+\s?)*$", ""), ("^(a|aa)*c$", "c"), ("a*a*a*a*b", "b")],
)
def test_patterns_that_backtrack_catastrophically_in_re_are_accepted_and_answer_on_long_texts(
    pattern: str, ending: str
) -> None:
    # Linear by construction: RE2 runs an automaton and never backtracks, so these patterns (exponential or
    # high-polynomial in Python's re on the failing text) answer on a text 200 times longer than an SMS.
    matcher = compile_conditions(Conditions.model_validate({"rules": [rule("body", "regex", pattern)]}))
    assert not matcher.matches(facts(body="a" * 30_000 + "!"))
    assert matcher.matches(facts(body="a" * 30_000 + ending))


def test_regexes_run_on_re2_not_on_python_re() -> None:
    from smschannel.triggers import conditions

    compiled = conditions.compile_regex(0, "^bill", case_sensitive=False)
    assert type(compiled).__module__.startswith("re2")
    assert compiled.search("BILLING") and not compiled.search("rebill")


def test_a_regex_is_compiled_once_not_per_message() -> None:
    matcher = compile_conditions(Conditions.model_validate({"rules": [rule("body", "regex", r"\bbill(ing)?\b")]}))
    for body in ("billing", "my bill", "bills"):
        matcher.matches(facts(body=body))
    assert matcher.matches(facts(body="Billing"))


# --- time zones, DST, holidays ----------------------------------------------------------------------------------

BUSINESS_HOURS = [rule("localTime", "between", ["09:00", "17:00"]), rule("weekday", "between", ["mon", "fri"])]
OUT_OF_HOURS = {
    "match": "any",
    "rules": [
        rule("localTime", "between", ["17:00", "09:00"]),  # wraps midnight
        rule("weekday", "in", ["sat", "sun"]),
        rule("holiday", "equals", True),
    ],
}


def at(moment: datetime, zone: str, conditions: Any, holidays: frozenset[str] = frozenset()) -> bool:
    matcher = compile_conditions(Conditions.model_validate(conditions))
    return matcher.matches(facts(now=moment, zone=zone, holidays=holidays))


def test_business_hours_depend_on_the_accounts_time_zone() -> None:
    # 12:00 UTC on a Wednesday: 13:00 in Rome (open), 04:00 in Los Angeles (closed), 21:00 in Tokyo (closed).
    hours = {"rules": BUSINESS_HOURS}
    assert at(NOON_UTC, "Europe/Rome", hours)
    assert not at(NOON_UTC, "America/Los_Angeles", hours)
    assert not at(NOON_UTC, "Asia/Tokyo", hours)
    assert at(NOON_UTC, "America/Los_Angeles", OUT_OF_HOURS)
    assert not at(NOON_UTC, "Europe/Rome", OUT_OF_HOURS)


def test_weekday_is_the_local_day_not_the_utc_day() -> None:
    friday_late_utc = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # Friday 23:30 UTC = Saturday 08:30 in Tokyo
    assert at(friday_late_utc, "Asia/Tokyo", {"rules": [rule("weekday", "equals", "saturday")]})
    assert at(friday_late_utc, "UTC", {"rules": [rule("weekday", "equals", "fri")]})
    assert at(friday_late_utc, "America/New_York", {"rules": [rule("weekday", "between", ["fri", "mon"])]})


def test_opening_time_follows_a_dst_change() -> None:
    # New York opens at 09:00 local: 14:00 UTC in winter (EST, UTC-5) and 13:00 UTC after the spring change
    # (2026-03-08, EDT, UTC-4).
    hours = {"rules": [rule("localTime", "between", ["09:00", "17:00"])]}
    friday_before = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)  # 08:30 EST: closed
    monday_after = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)  # 09:30 EDT: open
    assert not at(friday_before, "America/New_York", hours)
    assert at(monday_after, "America/New_York", hours)
    # Rome changes on 2026-03-29: 16:30 UTC is 17:30 local before (closed) and 18:30 after (closed), but 15:30 UTC
    # is 16:30 before (open) and 17:30 after (closed).
    assert at(datetime(2026, 3, 27, 15, 30, tzinfo=UTC), "Europe/Rome", hours)
    assert not at(datetime(2026, 3, 30, 15, 30, tzinfo=UTC), "Europe/Rome", hours)


def test_holidays_are_local_dates() -> None:
    christmas = frozenset({"2026-12-25"})
    # 2026-12-25 03:00 UTC is still the 24th in Los Angeles, already the 25th in Rome.
    moment = datetime(2026, 12, 25, 3, 0, tzinfo=UTC)
    holiday = {"rules": [rule("holiday", "equals", True)]}
    assert at(moment, "Europe/Rome", holiday, christmas)
    assert not at(moment, "America/Los_Angeles", holiday, christmas)
    assert at(datetime(2026, 12, 25, 11, 0, tzinfo=UTC), "Europe/Rome", OUT_OF_HOURS, christmas)  # a Friday, 12:00


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        time_zone("Mars/Olympus_Mons")
