"""The pure condition engine: rules compiled once per trigger version, then evaluated against an event's facts.

Fields: `body`, `from`, `to`, `queueId`, `agentId`, `firstMessage`, `disposition`, `tags`, `attributes.<name>`,
and, in the trigger's (else the account's) IANA time zone, `localTime` ("HH:MM"), `weekday` (mon..sun) and
`holiday` (the local date is in the account's `options.holidays`). Ops: equals, notEquals, contains, startsWith,
regex, in, between. Text compares case-insensitively unless the rule says `caseSensitive`.

A regex runs on the stream handler's thread, so it must not be able to hang it: it is compiled and matched by RE2
(`google-re2`), which does not backtrack, so matching is linear in the text for every pattern, `(a+)+$` included.
What RE2 cannot do in linear time it does not compile (backreferences such as `\1`, lookarounds such as `(?=...)`):
such a pattern is refused when the trigger is saved, with RE2's reason. RE2's `\\d`, `\\w` and `\b` are ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smschannel.triggers.model import ConditionRule, Conditions

MAX_REGEX_LENGTH = 200

TEXT_FIELDS = {"body", "from", "to", "queueId", "agentId", "disposition"}
BOOLEAN_FIELDS = {"firstMessage", "holiday"}
CLOCK_FIELDS = {"localTime", "weekday"}
FIELDS = TEXT_FIELDS | BOOLEAN_FIELDS | CLOCK_FIELDS | {"tags"}
ATTRIBUTE_PREFIX = "attributes."
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_WEEKDAYS = {
    name: short
    for short, name in zip(
        WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True
    )
}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class RuleError(ValueError):
    """An invalid rule; `where` is the path under the rule (`value`, `field`, `op`) for the 422's field."""

    def __init__(self, index: int, where: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.where = where
        self.message = message

    @property
    def field(self) -> str:
        return f"conditions.rules[{self.index}].{self.where}"


def time_zone(name: str | None) -> ZoneInfo:
    """The IANA zone (UTC when none is configured); ValueError for an unknown name."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as Europe/Rome)") from exc


class Facts:
    """What rules and templates may read about one event. `body` may be loaded lazily (interaction.created
    reads the first message only when a rule or a template needs it)."""

    def __init__(
        self,
        *,
        values: Mapping[str, Any],
        now: datetime,
        zone: ZoneInfo,
        holidays: frozenset[str] = frozenset(),
        body: Callable[[], str] | str | None = None,
    ) -> None:
        self._values = values
        self.now = now if now.tzinfo else now.replace(tzinfo=UTC)
        self.zone = zone
        self.holidays = holidays
        self._body = body

    @cached_property
    def local(self) -> datetime:
        return self.now.astimezone(self.zone)

    @cached_property
    def body(self) -> str:
        body = self._body() if callable(self._body) else self._body
        return body or ""

    def get(self, name: str) -> Any:
        if name == "body":
            return self.body
        if name == "localTime":
            return self.local.strftime("%H:%M")
        if name == "weekday":
            return WEEKDAYS[self.local.weekday()]
        if name == "holiday":
            return self.local.date().isoformat() in self.holidays
        if name.startswith(ATTRIBUTE_PREFIX):
            return (self._values.get("attributes") or {}).get(name[len(ATTRIBUTE_PREFIX) :])
        return self._values.get(name)


Predicate = Callable[[Facts], bool]


@dataclass(frozen=True)
class Matcher:
    """A trigger's conditions, compiled: `matches(facts)`; `failed_rule` says which rule said no (for runs)."""

    match_all: bool
    rules: tuple[Predicate, ...] = field(default_factory=tuple)
    uses: frozenset[str] = frozenset()

    def matches(self, facts: Facts) -> bool:
        if not self.rules:
            return True
        if self.match_all:
            return all(rule(facts) for rule in self.rules)
        return any(rule(facts) for rule in self.rules)


def compile_conditions(conditions: Conditions) -> Matcher:
    """Raises RuleError naming the first invalid rule."""
    predicates = tuple(_compile(index, rule) for index, rule in enumerate(conditions.rules))
    return Matcher(
        match_all=conditions.match == "all",
        rules=predicates,
        uses=frozenset(rule.field for rule in conditions.rules),
    )


# --- compiling one rule -------------------------------------------------------------------------------------------


def _compile(index: int, rule: ConditionRule) -> Predicate:
    name = rule.field
    if name not in FIELDS and not (name.startswith(ATTRIBUTE_PREFIX) and len(name) > len(ATTRIBUTE_PREFIX)):
        known = ", ".join(sorted(FIELDS)) + ", attributes.<name>"
        raise RuleError(index, "field", f"unknown field {name!r} (one of {known})")
    if name in CLOCK_FIELDS:
        return _compile_clock(index, rule)
    if name in BOOLEAN_FIELDS:
        return _compile_boolean(index, rule)
    fold = _folder(rule.case_sensitive)
    op, value = rule.op, rule.value
    if op in ("equals", "notEquals"):
        _require_scalar(index, value)
        expected = fold(value)

        def equals(facts: Facts) -> bool:
            return any(fold(each) == expected for each in _as_list(facts.get(name)))

        return equals if op == "equals" else _negate(equals)
    if op in ("contains", "startsWith"):
        needle = fold(_require_text(index, value))
        if name == "tags" and op == "contains":
            # A tag list "contains" a tag when it has it (not a substring of one).
            return lambda facts: any(fold(each) == needle for each in _as_list(facts.get(name)))
        if op == "contains":
            return lambda facts: any(needle in fold(each) for each in _texts(facts.get(name)))
        return lambda facts: any(fold(each).startswith(needle) for each in _texts(facts.get(name)))
    if op == "regex":
        pattern = compile_regex(index, value, rule.case_sensitive)
        return lambda facts: any(pattern.search(each) for each in _texts(facts.get(name)))
    if op == "in":
        options = {fold(each) for each in _require_list(index, value)}
        return lambda facts: any(fold(each) in options for each in _as_list(facts.get(name)))
    low, high = _require_pair(index, value)
    numeric = all(isinstance(bound, (int, float)) and not isinstance(bound, bool) for bound in (low, high))
    if numeric:
        return lambda facts: any(_in_range(_number(each), low, high) for each in _as_list(facts.get(name)))
    flow, fhigh = fold(low), fold(high)
    return lambda facts: any(
        each is not None and _in_range(fold(each), flow, fhigh) for each in _as_list(facts.get(name))
    )


def _compile_clock(index: int, rule: ConditionRule) -> Predicate:
    name, op, value = rule.field, rule.op, rule.value
    normalize = _clock if name == "localTime" else _weekday

    def parse(raw: Any) -> str:
        try:
            return normalize(raw)
        except ValueError as exc:
            raise RuleError(index, "value", str(exc)) from exc

    if op in ("equals", "notEquals"):
        expected = parse(value)
        equals: Predicate = lambda facts: facts.get(name) == expected  # noqa: E731
        return equals if op == "equals" else _negate(equals)
    if op == "in":
        options = {parse(each) for each in _require_list(index, value)}
        return lambda facts: facts.get(name) in options
    if op == "between":
        low, high = (parse(bound) for bound in _require_pair(index, value))
        if name == "weekday":
            low_i, high_i = WEEKDAYS.index(low), WEEKDAYS.index(high)
            return lambda facts: _in_range(WEEKDAYS.index(facts.get(name)), low_i, high_i, inclusive_high=True)
        return lambda facts: _in_range(facts.get(name), low, high)
    raise RuleError(index, "op", f"{name} supports equals, notEquals, in and between")


def _compile_boolean(index: int, rule: ConditionRule) -> Predicate:
    if rule.op not in ("equals", "notEquals"):
        raise RuleError(index, "op", f"{rule.field} supports equals and notEquals")
    expected = _boolean(index, rule.value)
    equals: Predicate = lambda facts: bool(facts.get(rule.field)) == expected  # noqa: E731
    return equals if rule.op == "equals" else _negate(equals)


class Regex(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_regex(index: int, value: Any, case_sensitive: bool) -> Regex:
    pattern = _require_text(index, value)
    if len(pattern) > MAX_REGEX_LENGTH:
        raise RuleError(index, "value", f"a regex may have at most {MAX_REGEX_LENGTH} characters")
    import re2  # here, not at import: account options load this module (time zones) in every function

    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.log_errors = False  # the reason goes into the 422, not to stderr
    try:
        compiled: Regex = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise RuleError(
            index,
            "value",
            f"invalid regex: {reason} (trigger regexes are RE2, which matches in linear time: no backreferences,"
            " no lookarounds)",
        ) from exc
    return compiled


# --- values ---------------------------------------------------------------------------------------------------------


def _folder(case_sensitive: bool) -> Callable[[Any], Any]:
    def fold(value: Any) -> Any:
        if isinstance(value, str):
            return value if case_sensitive else value.casefold()
        return value

    return fold


def _negate(predicate: Predicate) -> Predicate:
    return lambda facts: not predicate(facts)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _texts(value: Any) -> list[str]:
    return [str(each) for each in _as_list(value) if each is not None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _in_range(value: Any, low: Any, high: Any, *, inclusive_high: bool = False) -> bool:
    """[low, high) — or wrapping past the end when low > high (22:00..06:00 spans midnight, fri..mon a weekend)."""
    if value is None:
        return False
    if low <= high:
        return bool(low <= value <= high) if inclusive_high else bool(low <= value < high)
    return bool(value >= low or (value <= high if inclusive_high else value < high))


def _require_scalar(index: int, value: Any) -> None:
    if isinstance(value, (dict, list)):
        raise RuleError(index, "value", "equals/notEquals compare with one value (use `in` for a list)")


def _require_text(index: int, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise RuleError(index, "value", "a non-empty text value is required")
    return value


def _require_list(index: int, value: Any) -> list[Any]:
    if not isinstance(value, list) or not value or len(value) > 100:
        raise RuleError(index, "value", "`in` needs a list of 1 to 100 values")
    if any(isinstance(each, (dict, list)) for each in value):
        raise RuleError(index, "value", "`in` values must be plain values")
    return value


def _require_pair(index: int, value: Any) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2 or any(each is None for each in value):
        raise RuleError(index, "value", "`between` needs [low, high]")
    low, high = value
    if type(low) is not type(high) and not all(isinstance(each, (int, float)) for each in value):
        raise RuleError(index, "value", "`between` bounds must be of one kind")
    return low, high


def _boolean(index: int, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise RuleError(index, "value", "true or false expected")


def _clock(value: Any) -> str:
    if isinstance(value, str) and _CLOCK.match(value):
        return value
    raise ValueError(f"a local time is HH:MM (24 h), got {value!r}")


def _weekday(value: Any) -> str:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in WEEKDAYS:
            return lowered
        if lowered in _FULL_WEEKDAYS:
            return _FULL_WEEKDAYS[lowered]
    raise ValueError(f"a weekday is one of {', '.join(WEEKDAYS)}, got {value!r}")


def valid_holidays(values: Any) -> frozenset[str]:
    """`options.holidays`: local dates YYYY-MM-DD; ValueError otherwise."""
    if values is None:
        return frozenset()
    if not isinstance(values, list) or len(values) > 1000:
        raise ValueError("holidays is a list of dates YYYY-MM-DD")
    found = set()
    for value in values:
        try:
            found.add(datetime.strptime(str(value), "%Y-%m-%d").date().isoformat())
        except ValueError as exc:
            raise ValueError(f"holiday {value!r} is not a date YYYY-MM-DD") from exc
    return frozenset(found)
