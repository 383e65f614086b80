"""The dashboard's "today" and "half hour" tiles per queue (handled, abandoned, service level, average speed of
answer, average handle time), kept live from counters the fan-out adds to as interactions close.

Each close is counted from the very fact the reports count (smschannel.reports.facts.interaction_fact of the same
image), so a tile and `GET /admin/reports/queues` for the same window agree by construction (docs/reports.md
"Dashboard tiles"): a day is the account's local date of the close, as the reports' `dt`; the half hour is the UTC
half hour the interaction closed in (Amazon Connect's 30-minute intervals). A wrap-up recorded after the close (the
reports' revision 1) adds what it changed: its wrap-up seconds to the handle time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from smschannel.reports.facts import InteractionFact, facts_of, interaction_fact, local_date
from smschannel.stores.tiles import TileStore
from smschannel.stream import StreamChange
from smschannel.timestamps import parse_iso, to_iso

HALF_HOUR_SECONDS = 1800
# The counters a tile keeps (sums, so ADD applies them); the tile's figures are ratios of them (`tile`).
COUNTERS = (
    "offered",
    "handled",
    "abandoned",
    "triggerHandled",
    "answeredInTarget",
    "waitedSeconds",  # of handled interactions: the speed of answer's numerator
    "handleCount",  # handled interactions with a handle time (assigned: handleSeconds or assignment to close)
    "handleSeconds",  # their handle time plus wrap-up
)


@dataclass(frozen=True)
class TileDelta:
    """What one record adds to one queue's tiles of one account."""

    queue_id: str
    account_id: str
    local_date: str  # the account's date of the close (the reports' dt)
    half_hour: str  # the UTC half hour of the close, e.g. 2026-03-01T10:30Z
    counts: dict[str, float]


def half_hour_start(moment: datetime) -> str:
    epoch = int(moment.timestamp()) // HALF_HOUR_SECONDS * HALF_HOUR_SECONDS
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%MZ")


def contribution(fact: InteractionFact, service_level_seconds: int) -> dict[str, float]:
    """One interaction's share of its queue's counters, exactly as reports/sql/queues.sql counts it."""
    counts = dict.fromkeys(COUNTERS, 0.0)
    counts["offered"] = 1
    counts["abandoned"] = int(fact.abandoned)
    counts["triggerHandled"] = int(fact.trigger_handled)
    if fact.handled:
        counts["handled"] = 1
        counts["waitedSeconds"] = fact.waited_seconds
        counts["answeredInTarget"] = int(fact.waited_seconds <= service_level_seconds)
        # coalesce(handleseconds, closedepoch - assignedepoch) + coalesce(wrapupseconds, 0); null when neither
        handle = fact.handle_seconds
        if handle is None and fact.assigned_epoch is not None:
            handle = round(fact.closed_epoch - fact.assigned_epoch, 3)
        if handle is not None:
            counts["handleCount"] = 1
            counts["handleSeconds"] = round(handle + (fact.wrap_up_seconds or 0.0), 3)
    return counts


def tile_delta(
    change: StreamChange, time_zone_of: Callable[[str], str], service_level_of: Callable[[str], int]
) -> TileDelta | None:
    """The tiles' change of one interaction record: a close adds the interaction; its wrap-up recorded after the
    close adds the difference (the reports replace the close's fact with the wrap-up's); anything else nothing."""
    if change.entity != "interaction" or change.new is None:
        return None
    facts = [fact for fact in facts_of(change, time_zone_of) if isinstance(fact, InteractionFact)]
    fact = facts[0] if facts else None
    if fact is None or not fact.queue_id:
        return None
    queue_id = fact.queue_id
    service_level = service_level_of(queue_id)
    counts = contribution(fact, service_level)
    if fact.revision > 0 and change.old is not None:
        before = contribution(interaction_fact(change.old, time_zone_of(fact.account_id)), service_level)
        counts = {name: round(counts[name] - before[name], 3) for name in COUNTERS}
    counts = {name: value for name, value in counts.items() if value}
    if not counts:
        return None
    return TileDelta(queue_id, fact.account_id, fact.dt, half_hour_start(parse_iso(fact.closed_at)), counts)


def sql_round(value: float, digits: int) -> float:
    """A figure rounded as the report's SQL rounds it: the double as a DECIMAL(18, 6), then half up to `digits`
    (reports/sql/queues.sql; Athena's Trino and the emulator's DuckDB agree on decimals, not on doubles)."""
    exact = Decimal(value).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    return float(exact.quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))


def tile(counters: dict[str, float]) -> dict[str, Any]:
    """A tile's figures from its counters, rounded as the queue report rounds them (docs/reports.md)."""

    def count(name: str) -> float:
        return float(counters.get(name) or 0)

    handled, abandoned = count("handled"), count("abandoned")
    answered = handled + abandoned
    return {
        "offered": int(count("offered")),
        "handled": int(handled),
        "abandoned": int(abandoned),
        "triggerHandled": int(count("triggerHandled")),
        "answeredWithinServiceLevel": int(count("answeredInTarget")),
        "serviceLevel": sql_round(count("answeredInTarget") / answered, 4) if answered else None,
        "averageSpeedOfAnswer": sql_round(count("waitedSeconds") / handled, 1) if handled else None,
        "averageHandleTime": (
            sql_round(count("handleSeconds") / count("handleCount"), 1) if count("handleCount") else None
        ),
    }


def empty_tiles(now: datetime | None = None) -> dict[str, Any]:
    """The tiles of a queue nothing closed in yet today."""
    return {"today": tile({}), "halfHour": {"from": half_hour_start(now or datetime.now(UTC)), **tile({})}}


def _sum(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Counters per queue, summed over its accounts' items."""
    totals: dict[str, dict[str, float]] = {}
    for item in items:
        queue = totals.setdefault(str(item.get("queueId")), dict.fromkeys(COUNTERS, 0.0))
        for name in COUNTERS:
            queue[name] += float(item.get(name) or 0)
    return totals


class QueueTiles:
    """Reads and writes the tiles: `apply` a record's delta, `current` the tiles shown now (today in each account's
    zone, and the current UTC half hour)."""

    def __init__(self, store: TileStore, time_zone_of: Callable[[str], str]) -> None:
        self.store = store
        self.time_zone_of = time_zone_of

    def apply(self, delta: TileDelta) -> None:
        self.store.add(delta.local_date, delta.half_hour, delta.queue_id, delta.account_id, delta.counts)

    def current(self, queue_ids: Iterable[str] | None, now: datetime | None = None) -> dict[str, dict[str, Any]]:
        """queue id -> {"today": tile, "halfHour": tile + its `from`}: every queue with tiles (None), or those."""
        now = now or datetime.now(UTC)
        start = half_hour_start(now)
        wanted: list[str | None] = list(queue_ids) if queue_ids is not None else [None]
        today_items: list[dict[str, Any]] = []
        half_items: list[dict[str, Any]] = []
        for queue_id in wanted:
            # "Today" is each account's own date: only the dates some zone on Earth is at now can hold it.
            for day in _dates_somewhere(now):
                today_items += [
                    item
                    for item in self.store.day(day, queue_id)
                    if local_date(to_iso(now), self.time_zone_of(str(item.get("accountId")))) == day
                ]
            half_items += self.store.half_hour(start, queue_id)
        today, half = _sum(today_items), _sum(half_items)
        shown = set(today) | set(half) | {queue_id for queue_id in wanted if queue_id is not None}
        return {
            queue_id: {
                "today": tile(today.get(queue_id, {})),
                "halfHour": {"from": start, **tile(half.get(queue_id, {}))},
            }
            for queue_id in shown
        }


def _dates_somewhere(now: datetime) -> list[str]:
    """The UTC dates from UTC-12 to UTC+14: at most three, usually two."""
    return sorted({(now + timedelta(hours=hours)).strftime("%Y-%m-%d") for hours in (-12, 0, 14)})
