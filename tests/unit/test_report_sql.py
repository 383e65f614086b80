"""Each report's SQL (layers/core/smschannel/reports/sql) run with DuckDB, as the emulator's Athena runs it, over
facts built from hand-written table images, against hand-computed figures: service level with abandons counted
against, speed of answer, first response, handle time with wrap-up, transfers, segments, delivery failures,
opt-outs, redelivered records counted once, and a close after midnight in the account's zone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from smschannel.reports.facts import Fact, facts_of
from smschannel.reports.queries import item_of, parse_request, render_sql
from smschannel.stream import StreamChange

duckdb = pytest.importorskip("duckdb", reason="requirements/dev.txt pins duckdb for the report SQL tests")

ZONES = {"acme": "UTC", "berlin": "Europe/Berlin"}
DAY = date(2026, 3, 1)


def _closed(interaction_id: str, account: str = "acme", **fields: Any) -> StreamChange:
    base = {"entity": "interaction", "id": interaction_id, "accountId": account, "queueId": "support"}
    return StreamChange(
        event_id=f"e-{interaction_id}",
        event_name="MODIFY",
        old={**base, "status": "open", "createdAt": fields["createdAt"]},
        new={**base, "status": "closed", **fields},
    )


def _message(message_id: str, interaction_id: str, status: str = "queued", **fields: Any) -> StreamChange:
    new = {
        "entity": "message",
        "id": message_id,
        "interactionId": interaction_id,
        "accountId": "acme",
        "direction": "out",
        "status": status,
        **fields,
    }
    old = None if status in ("queued", "received") else {**new, "status": "queued"}
    return StreamChange(event_id=f"e-{message_id}-{status}", event_name="MODIFY" if old else "INSERT", old=old, new=new)


def _day(hour: str) -> str:
    return f"2026-03-01T{hour}.000Z"


CHANGES = [
    # i-1: answered in 30 s by agent-1, first reply after 60 s, 1170 s handled + 30 s wrap-up; its close redelivered
    *[
        _closed(
            "i-1",
            createdAt=_day("10:00:00"),
            assignedAt=_day("10:00:30"),
            agentId="agent-1",
            closedAt=_day("10:20:00"),
            wrapUpSeconds=30,
            messageCount=2,
            replyCount=1,
        )
    ]
    * 2,
    _message("m-1", "i-1", "received", direction="in", createdAt=_day("10:00:00"), segments=1),
    _message("m-2", "i-1", sender="agent:agent-1", createdAt=_day("10:01:00"), segments=2),
    *[
        _message(
            "m-2",
            "i-1",
            "delivered",
            sender="agent:agent-1",
            createdAt=_day("10:01:00"),
            segments=2,
            statusAt=_day("10:01:04"),
        )
    ]
    * 2,
    # i-1's wrap-up recorded after its close: its revision 1 replaces the close's (same 30 s wrap-up)
    StreamChange(
        "e-i-1-wrap",
        "MODIFY",
        {
            "entity": "interaction",
            "id": "i-1",
            "accountId": "acme",
            "queueId": "support",
            "status": "closed",
            "createdAt": _day("10:00:00"),
            "closedAt": _day("10:20:00"),
        },
        {
            "entity": "interaction",
            "id": "i-1",
            "accountId": "acme",
            "queueId": "support",
            "status": "closed",
            "createdAt": _day("10:00:00"),
            "assignedAt": _day("10:00:30"),
            "agentId": "agent-1",
            "closedAt": _day("10:20:00"),
            "wrappedUpAt": _day("10:20:30"),
            "wrapUpSeconds": 30,
            "messageCount": 2,
            "replyCount": 1,
        },
    ),
    # i-2: answered after 120 s by agent-2 (past the 60 s service level), transferred once, 400 s handle; its reply
    # failed
    _closed(
        "i-2",
        createdAt=_day("11:00:00"),
        assignedAt=_day("11:02:00"),
        agentId="agent-2",
        closedAt=_day("11:10:00"),
        transfers=1,
        handleSeconds=400,
        messageCount=1,
        replyCount=1,
    ),
    _message("m-3", "i-2", sender="agent:agent-2", createdAt=_day("11:03:00"), segments=1),
    _message(
        "m-3",
        "i-2",
        "failed",
        sender="agent:agent-2",
        createdAt=_day("11:03:00"),
        segments=1,
        statusAt=_day("11:03:02"),
        errorCode="30003",
    ),
    # i-3: never reached an agent in 300 s: abandoned
    _closed("i-3", createdAt=_day("12:00:00"), closedAt=_day("12:05:00"), messageCount=1),
    # i-4: a STOP answered by the opt-out confirmation, closed by a trigger's bot: neither handled nor abandoned
    _closed("i-4", createdAt=_day("13:00:00"), closedAt=_day("13:01:00"), bot={"backend": "lex"}, messageCount=1),
    _message("m-4", "i-4", sender="system", createdAt=_day("13:00:01"), segments=1, clientMessageId="stop:m-9"),
    # i-5: Berlin's account closes it at 00:30 on 2 March, local time (23:30 UTC on 1 March)
    _closed(
        "i-5",
        account="berlin",
        createdAt=_day("23:00:00"),
        assignedAt=_day("23:00:10"),
        agentId="agent-1",
        closedAt=_day("23:30:00"),
    ),
]


@pytest.fixture(scope="module")
def athena(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A DuckDB connection with the Glue tables as the emulator's Athena reads them: every object under the
    table's location, dt from the path (a string, as the Glue partition key is typed)."""
    root: Path = tmp_path_factory.mktemp("reports")
    facts: list[Fact] = [fact for change in CHANGES for fact in facts_of(change, ZONES.__getitem__)]
    for n, fact in enumerate(facts):
        folder = root / "facts" / fact.kind / f"dt={fact.dt}" / "10"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"facts-{n}").write_text(json.dumps(fact.to_json_dict()) + "\n")
    connection = duckdb.connect()
    for table, kind in (("interaction_facts", "interactions"), ("message_facts", "messages")):
        relation = connection.read_json(
            f"{root}/facts/{kind}/**", hive_partitioning=True, hive_types={"dt": "VARCHAR"}, union_by_name=True
        )
        relation.create_view(table)
    return connection


def _report(athena: Any, report: str, **params: str) -> list[dict[str, Any]]:
    request = parse_request(report, {"from": "2026-03-01", "to": "2026-03-01", **params}, DAY)
    cursor = athena.execute(render_sql(request))
    columns = [column[0] for column in cursor.description]
    return [item_of(dict(zip(columns, row, strict=True)), request.group_by) for row in cursor.fetchall()]


def test_the_queue_report_matches_the_hand_computed_day(athena: Any) -> None:
    (support,) = _report(athena, "queues", accountId="acme")
    assert support["queueId"] == "support"
    assert (support["offered"], support["handled"], support["abandoned"], support["triggerHandled"]) == (4, 2, 1, 1)
    assert support["answeredWithinServiceLevel"] == 1
    assert support["serviceLevel"] == pytest.approx(1 / 3, abs=1e-4)  # i-1 of i-1, i-2 and the abandoned i-3
    assert support["averageSpeedOfAnswer"] == 75.0  # (30 + 120) / 2
    assert support["longestWait"] == 300.0
    assert support["averageFirstResponse"] == 120.0  # (60 + 180) / 2
    assert support["averageHandleTime"] == 800.0  # (1170 + 30 wrap-up + 400) / 2
    assert (support["transfers"], support["messagesIn"], support["messagesOut"]) == (1, 5, 2)
    assert (support["segmentsIn"], support["segmentsOut"], support["deliveryFailures"]) == (1, 4, 1)
    assert support["deliveryFailureRate"] == pytest.approx(1 / 3, abs=1e-4)
    assert support["optOuts"] == 1


def test_a_longer_service_level_counts_the_slower_answer(athena: Any) -> None:
    (support,) = _report(athena, "queues", accountId="acme", serviceLevelSeconds="120")
    assert support["serviceLevel"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_close_after_midnight_in_the_account_zone_is_the_next_local_day(athena: Any) -> None:
    assert _report(athena, "queues", accountId="berlin") == []
    (next_day,) = _report(athena, "queues", accountId="berlin", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert (next_day["offered"], next_day["handled"]) == (1, 1)


def test_the_agent_report_credits_each_agent_its_own_interactions(athena: Any) -> None:
    agents = {row["agentId"]: row for row in _report(athena, "agents", accountId="acme")}
    assert set(agents) == {"agent-1", "agent-2"}
    assert (agents["agent-1"]["handled"], agents["agent-1"]["averageHandleTime"]) == (1, 1200.0)
    assert (agents["agent-1"]["averageWrapUp"], agents["agent-1"]["averageFirstResponse"]) == (30.0, 60.0)
    assert (agents["agent-2"]["transfers"], agents["agent-2"]["deliveryFailures"]) == (1, 1)


def test_grouped_by_hour_each_arrival_hour_is_a_row(athena: Any) -> None:
    rows = _report(athena, "queues", accountId="acme", groupBy="hour")
    assert [(row["hour"], row["offered"]) for row in rows] == [(10, 1), (11, 1), (12, 1), (13, 1)]


def test_the_interaction_export_is_one_row_per_interaction_even_redelivered(athena: Any) -> None:
    rows = _report(athena, "interactions", accountId="acme")
    assert [row["interactionId"] for row in rows] == ["i-1", "i-2", "i-3", "i-4"]
    first = rows[0]
    assert (first["firstResponseSeconds"], first["segmentsOut"], first["wrapUpSeconds"]) == (60.0, 2, 30.0)
    assert (rows[2]["abandoned"], rows[2]["waitedSeconds"], rows[1]["transfers"]) == (True, 300.0, 1)


def test_the_message_export_is_one_row_per_message_at_its_latest_status(athena: Any) -> None:
    rows = {row["messageId"]: row for row in _report(athena, "messages", accountId="acme")}
    assert {key: row["status"] for key, row in rows.items()} == {
        "m-1": "received",
        "m-2": "delivered",
        "m-3": "failed",
        "m-4": "queued",
    }
    assert rows["m-3"]["errorCode"] == "30003" and rows["m-4"]["optOut"] is True


def test_the_dashboard_tiles_of_a_day_agree_with_its_queue_report(athena: Any) -> None:
    """The tiles (smschannel.realtime.tiles) count each stream record once, as the fan-out applies them: from the
    same facts, per account-local day, they give the queue report's figures."""
    from smschannel.realtime.tiles import COUNTERS, tile, tile_delta

    counters: dict[tuple[str, str, str], dict[str, float]] = {}
    once = {change.event_id: change for change in CHANGES}  # the fixture's redeliveries, applied once
    last: dict[str, dict[str, Any]] = {}
    for record in once.values():
        # As the table's stream carries it, a MODIFY's old image is the item its previous write left (the fixture
        # writes the wrap-up's old image short: the report reads new images only).
        item_id = str((record.new or {}).get("id"))
        change = record
        if record.entity == "interaction" and item_id in last:
            change = StreamChange(record.event_id, record.event_name, last[item_id], record.new)
        if record.entity == "interaction" and record.new is not None:
            last[item_id] = record.new
        delta = tile_delta(change, ZONES.__getitem__, lambda _queue: 60)
        if delta is not None:
            day = counters.setdefault((delta.queue_id, delta.account_id, delta.local_date), dict.fromkeys(COUNTERS, 0))
            for name, value in delta.counts.items():
                day[name] += value
    figures = ("offered", "handled", "abandoned", "triggerHandled", "answeredWithinServiceLevel")
    figures += ("serviceLevel", "averageSpeedOfAnswer", "averageHandleTime")
    acme = tile(counters[("support", "acme", "2026-03-01")])
    (report,) = _report(athena, "queues", accountId="acme")
    assert {name: acme[name] for name in figures} == {name: report[name] for name in figures}
    assert (acme["offered"], acme["abandoned"], acme["averageHandleTime"]) == (4, 1, 800.0)  # not vacuous
    assert set(counters) == {("support", "acme", "2026-03-01"), ("support", "berlin", "2026-03-02")}
    berlin = tile(counters[("support", "berlin", "2026-03-02")])
    (next_day,) = _report(athena, "queues", accountId="berlin", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert {name: berlin[name] for name in figures} == {name: next_day[name] for name in figures}


@pytest.mark.parametrize("digits", [1, 4])
def test_the_tiles_round_as_the_report_sql_rounds(digits: int) -> None:
    """As the report's SQL rounds (a double as DECIMAL(18, 6), half up), which Athena and DuckDB agree on; Python's
    round() is half to even on the binary value (0.25 -> 0.2, 0.35 -> 0.3)."""
    from smschannel.realtime.tiles import sql_round

    values = [0.25, 0.35, 0.45, 2.675, 1 / 3, 2 / 3, 0.05, 12.25, 0.00005, 0.49995, 1170.25, 0.0, 7.0 / 12, 0.15]
    connection = duckdb.connect()
    rounded = f"CAST(round(CAST(CAST(? AS double) AS DECIMAL(18, 6)), {digits}) AS double)"
    for value in values:
        (expected,) = connection.execute(f"SELECT {rounded}", [value]).fetchone()  # type: ignore[misc]
        assert sql_round(value, digits) == expected, value
    assert sql_round(0.25, 1) == 0.3 != round(0.25, 1) and sql_round(0.35, 1) == 0.4 != round(0.35, 1)
