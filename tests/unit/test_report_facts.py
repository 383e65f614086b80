"""Report facts built from table images: what an interaction's close and a message's states yield, their
deterministic ids (a redelivered record dedupes), and their date in the account's time zone."""

from __future__ import annotations

import json
from typing import Any

from smschannel.reports.facts import FactSink, InteractionFact, MessageFact, facts_of, firehose_records
from smschannel.stream import StreamChange


def _interaction(**fields: Any) -> dict[str, Any]:
    return {
        "entity": "interaction",
        "id": "i-1",
        "accountId": "acme",
        "queueId": "support",
        "status": "open",
        "createdAt": "2026-03-01T22:50:00.000Z",
        "messageCount": 2,
        "replyCount": 1,
        **fields,
    }


def _change(new: dict[str, Any], old: dict[str, Any] | None = None, event: str = "MODIFY") -> StreamChange:
    return StreamChange(event_id="e-1", event_name=event, old=old, new=new)


def _utc(_account_id: str) -> str:
    return "UTC"


def test_a_close_yields_one_interaction_fact_with_its_waits_and_counts() -> None:
    closed = _interaction(
        status="closed",
        agentId="agent-1",
        assignedAt="2026-03-01T22:50:30.000Z",
        closedAt="2026-03-01T23:10:00.000Z",
        disposition="resolved",
        teamId="t-1",
        transfers=1,
        handleSeconds=1170,
        wrapUpSeconds=30,
    )
    (fact,) = facts_of(_change(closed, _interaction()), _utc)
    assert isinstance(fact, InteractionFact)
    assert fact.waited_seconds == 30.0
    assert (fact.handled, fact.abandoned, fact.transfers, fact.team_id) == (True, False, 1, "t-1")
    assert (fact.handle_seconds, fact.wrap_up_seconds, fact.messages_in, fact.messages_out) == (1170.0, 30.0, 2, 1)
    assert fact.agent_ids == ["agent-1"]
    assert fact.dt == "2026-03-01"


def test_a_close_never_assigned_is_abandoned_and_waited_until_it_closed() -> None:
    closed = _interaction(status="closed", closedAt="2026-03-01T22:55:00.000Z")
    (fact,) = facts_of(_change(closed, _interaction()), _utc)
    assert isinstance(fact, InteractionFact)
    assert (fact.handled, fact.abandoned, fact.waited_seconds) == (False, True, 300.0)
    assert fact.handle_seconds is None and fact.transfers == 0 and fact.team_id is None


def test_a_close_by_a_bot_is_trigger_handled_not_abandoned() -> None:
    closed = _interaction(status="closed", closedAt="2026-03-01T22:51:00.000Z", bot={"backend": "lex"})
    (fact,) = facts_of(_change(closed, _interaction()), _utc)
    assert isinstance(fact, InteractionFact)
    assert (fact.bot_handled, fact.trigger_handled, fact.abandoned) == (True, True, False)


def test_the_partition_is_the_close_date_on_the_account_clock_across_midnight() -> None:
    closed = _interaction(status="closed", closedAt="2026-03-01T23:10:00.000Z")
    (in_utc,) = facts_of(_change(closed, _interaction()), _utc)
    (in_berlin,) = facts_of(_change(closed, _interaction()), lambda _account: "Europe/Berlin")
    assert (in_utc.dt, in_berlin.dt) == ("2026-03-01", "2026-03-02")


def test_a_redelivered_record_yields_the_same_fact_id_and_one_line() -> None:
    closed = _interaction(status="closed", closedAt="2026-03-01T23:10:00.000Z")
    first = facts_of(_change(closed, _interaction()), _utc)
    again = facts_of(_change(closed, _interaction()), _utc)
    assert first[0].fact_id == again[0].fact_id
    assert len(firehose_records([*first, *again])) == 1


def test_a_change_of_an_already_closed_interaction_or_an_open_one_yields_nothing() -> None:
    closed = _interaction(status="closed", closedAt="2026-03-01T23:10:00.000Z")
    assert facts_of(_change(closed, closed), _utc) == []
    assert facts_of(_change(_interaction(messageCount=3), _interaction()), _utc) == []


def _message(**fields: Any) -> dict[str, Any]:
    return {
        "entity": "message",
        "id": "m-1",
        "interactionId": "i-1",
        "accountId": "acme",
        "direction": "out",
        "status": "queued",
        "sender": "agent:agent-1",
        "segments": 2,
        "encoding": "GSM-7",
        "createdAt": "2026-03-01T22:51:00.000Z",
        **fields,
    }


def test_each_message_state_is_its_own_fact_and_a_repeat_of_a_state_is_none() -> None:
    (stored,) = facts_of(_change(_message(), event="INSERT"), _utc)
    failed = _message(status="failed", statusAt="2026-03-01T22:51:05.000Z", errorCode="30003")
    (moved,) = facts_of(_change(failed, _message()), _utc)
    assert isinstance(stored, MessageFact) and isinstance(moved, MessageFact)
    assert (stored.status, stored.agent_id, stored.segments) == ("queued", "agent-1", 2)
    assert (moved.status, moved.status_at, moved.error_code) == ("failed", "2026-03-01T22:51:05.000Z", "30003")
    assert stored.fact_id != moved.fact_id
    assert facts_of(_change(failed, failed), _utc) == []


def test_an_inbound_message_counts_one_segment_and_no_agent() -> None:
    (fact,) = facts_of(
        _change(_message(direction="in", status="received", sender=None, segments=None), event="INSERT"), _utc
    )
    assert isinstance(fact, MessageFact)
    assert (fact.direction, fact.segments, fact.agent_id) == ("in", 1, None)


def test_records_are_json_lines_ending_in_a_newline() -> None:
    (fact,) = facts_of(_change(_message(), event="INSERT"), _utc)
    (record,) = firehose_records([fact])
    assert record["Data"].endswith(b"\n")
    line = json.loads(record["Data"])
    assert (line["kind"], line["factId"], line["dt"]) == ("messages", fact.fact_id, "2026-03-01")


class _Firehose:
    """Firehose refusing the first record of the first call (what PutRecordBatch's partial failure looks like)."""

    def __init__(self) -> None:
        self.calls: list[list[dict[str, bytes]]] = []

    def put_record_batch(self, DeliveryStreamName: str, Records: list[dict[str, bytes]]) -> dict[str, Any]:  # noqa: N803
        self.calls.append(Records)
        refused = len(self.calls) == 1
        return {
            "FailedPutCount": 1 if refused else 0,
            "RequestResponses": [
                {"ErrorCode": "ServiceUnavailableException"} if refused and n == 0 else {"RecordId": str(n)}
                for n in range(len(Records))
            ],
        }


def test_a_refused_fact_is_retried_once_in_the_same_flush() -> None:
    firehose = _Firehose()
    sink = FactSink(lambda: firehose, "facts")
    sink.add(facts_of(_change(_message(), event="INSERT"), _utc))
    sink.add(facts_of(_change(_message(id="m-2"), event="INSERT"), _utc))
    assert sink.flush() == (2, 0)
    assert [len(call) for call in firehose.calls] == [2, 1]
    assert sink.pending == []


def test_a_wrap_up_recorded_after_the_close_is_a_later_revision_of_the_same_interaction() -> None:
    closed = _interaction(status="closed", agentId="agent-1", closedAt="2026-03-01T23:10:00.000Z")
    wrapped = {**closed, "wrappedUpAt": "2026-03-01T23:10:40.000Z", "wrapUpSeconds": 40}
    (at_close,) = facts_of(_change(closed, _interaction()), _utc)
    (after,) = facts_of(_change(wrapped, closed), _utc)
    assert isinstance(after, InteractionFact)
    assert (at_close.revision, after.revision, after.wrap_up_seconds) == (0, 1, 40.0)
    assert at_close.fact_id != after.fact_id and at_close.dt == after.dt
    assert facts_of(_change(wrapped, wrapped), _utc) == []


class _Configuration:
    """The two lists TeamOf reads, counted (ConfigurationStore's interface)."""

    def __init__(self, teams: list[Any], queues: list[Any]) -> None:
        self.teams, self.queues, self.reads = teams, queues, 0

    def list_teams(self) -> list[Any]:
        self.reads += 1
        return self.teams

    def list_queues(self) -> list[Any]:
        return self.queues


def test_a_close_is_reported_under_the_agent_s_team_the_queue_is_built_from() -> None:
    from smschannel.models import Queue, Team
    from smschannel.reports.teams import TeamOf

    teams = [
        Team(id="b-night", name="Night", agent_ids=["agent-1"]),
        Team(id="a-day", name="Day", agent_ids=["agent-1", "agent-2"]),
        Team(id="c-vip", name="VIP", agent_ids=["agent-1"]),
    ]
    queues = [Queue(id="support", name="Support", team_ids=["c-vip"]), Queue(id="billing", name="Billing")]
    configuration = _Configuration(teams, queues)
    now = [0.0]
    team_of = TeamOf(configuration, refresh_seconds=60, clock=lambda: now[0])  # type: ignore[arg-type]
    closed = _interaction(status="closed", agentId="agent-1", closedAt="2026-03-01T23:10:00.000Z")
    [fact] = facts_of(_change(closed, _interaction()), _utc, team_of)
    assert isinstance(fact, InteractionFact) and fact.team_id == "c-vip"  # the queue's team, of the agent's three
    assert team_of("billing", "agent-1") == "a-day"  # a queue of no team: the agent's first team by id
    assert team_of("support", None) is None and team_of("support", "agent-9") is None
    # An interaction that carries its team keeps it; the teams are read once a minute, not per close.
    [kept] = facts_of(_change({**closed, "teamId": "b-night"}, _interaction()), _utc, team_of)
    assert isinstance(kept, InteractionFact) and kept.team_id == "b-night"
    assert configuration.reads == 1
    now[0] = 61.0
    team_of("support", "agent-1")
    assert configuration.reads == 2
