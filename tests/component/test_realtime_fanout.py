"""The fan-out function under moto, fed from the table's own stream beside the routing function: who receives which
frame (moto's @connections records what each connection was sent), the dashboard counters, and partial failures."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from tests.component.harness import (
    FANOUT_FILTER,
    TRIGGERS_FILTER,
    Realtime,
    Routing,
    frames_of,
    phone,
    share_stream_log,
    stream_event,
)
from tests.conftest import FakeContext

ENDPOINT = "https://ws123.execute-api.us-east-1.amazonaws.com/dev"


@pytest.fixture
def realtime(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Realtime:
    return make_realtime(aws, monkeypatch)


def make_realtime(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Realtime:
    share_stream_log(monkeypatch)
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", ENDPOINT)
    world = Routing(aws)
    world.agent("a1", capacity=5)
    world.agent("a2", capacity=5)
    world.queue("support", agentIds=["a1", "a2"], strategy="round-robin", serviceLevelSeconds=60)
    world.use_queue("support")
    return Realtime(world)


@pytest.fixture
def watching(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Realtime:
    """The fan-out with SUPERVISOR_FRAMES=watched: supervisors get the frames of the conversation they have open
    only; the rest of the center reaches them in the coalesced dashboard.update."""
    from smschannel.settings import get_settings

    monkeypatch.setenv("SUPERVISOR_FRAMES", "watched")
    get_settings.cache_clear()
    return make_realtime(aws, monkeypatch)


def six_conversations_over_two_agents(realtime: Realtime) -> list[dict[str, Any]]:
    """Two agents (one on two devices) and a subscribed supervisor; six customers write and are routed. Checks that
    each agent's connections got only its own interactions, assigned before their messages; returns what the
    supervisor's connection received."""
    realtime.connect("a1-desk", "agent", "a1")
    realtime.connect("a1-phone", "agent", "a1")
    realtime.connect("a2-desk", "agent", "a2")
    realtime.connect("sup", "supervisor")
    realtime.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    realtime.world.stream.read()  # the connection items are not the fan-out's business
    outcomes = [realtime.world.sms(phone(index), f"hello {index}") for index in range(6)]
    realtime.pump()

    owners = {
        outcome.interaction_id: realtime.world.interaction(outcome.interaction_id)["agentId"] for outcome in outcomes
    }
    assert sorted(owners.values()) == ["a1", "a1", "a1", "a2", "a2", "a2"]
    for connection_id, agent_id in (("a1-desk", "a1"), ("a1-phone", "a1"), ("a2-desk", "a2")):
        frames = frames_of(connection_id)
        named = {frame.get("interactionId") or frame.get("interaction", {}).get("id") for frame in frames} - {None}
        assert named == {key for key, owner in owners.items() if owner == agent_id}, frames
        created = [frame for frame in frames if frame["type"] == "message.created"]
        assert len(created) == 3
        for frame in created:
            assigned = next(
                f
                for f in frames
                if f["type"] == "interaction.assigned" and f["interaction"]["id"] == frame["interactionId"]
            )
            assert frames.index(assigned) < frames.index(frame)

    return frames_of("sup")


def test_each_agent_gets_only_its_own_interactions_and_the_supervisor_everything(realtime: Realtime) -> None:
    supervisor = six_conversations_over_two_agents(realtime)
    assert supervisor[0]["type"] == "dashboard.snapshot"
    assert sum(frame["type"] == "message.created" for frame in supervisor) == 6
    updates = [frame for frame in supervisor if frame["type"] == "dashboard.update"]
    last = {queue["id"]: queue for frame in updates for queue in frame["queues"]}["support"]
    assert (last["open"], last["waiting"], last["answered"], last["answeredInTarget"]) == (6, 0, 6, 6)


def test_a_failing_record_holds_back_those_after_it_so_a_retry_never_counts_twice(realtime: Realtime) -> None:
    realtime.world.stream.read()
    realtime.world.sms(phone(1), "first")
    realtime.world.sms(phone(2), "second")
    records = [record for record in realtime.world.stream.read() if FANOUT_FILTER(record)]
    interactions = [r for r in records if r["dynamodb"]["NewImage"]["entity"]["S"] == "interaction"]
    assert len(interactions) == 2
    poison = json.loads(json.dumps(interactions[0]))
    # An assignment whose creation time cannot be read: computing its wait raises.
    poison["dynamodb"]["OldImage"] = dict(poison["dynamodb"]["NewImage"])
    poison["dynamodb"]["NewImage"] = {
        **poison["dynamodb"]["NewImage"],
        "agentId": {"S": "a1"},
        "assignedAt": {"S": "2026-01-01T00:00:00.000Z"},
        "createdAt": {"S": "not a time"},
    }
    poison["eventName"] = "MODIFY"
    poison["dynamodb"]["SequenceNumber"] = "999"
    batch = [interactions[0], poison, interactions[1]]
    response = realtime.fanout.lambda_handler(stream_event(batch), FakeContext())
    failed = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    assert failed == ["999", interactions[1]["dynamodb"]["SequenceNumber"]]
    # The retry (the poison set aside by bisection and the on-failure destination) applies the held-back record once.
    realtime.fanout.lambda_handler(stream_event([interactions[1]]), FakeContext())
    realtime.connect("sup", "supervisor")
    realtime.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    [snapshot] = [frame for frame in frames_of("sup") if frame["type"] == "dashboard.snapshot"]
    queue = next(queue for queue in snapshot["queues"] if queue["id"] == "support")
    assert (queue["open"], queue["waiting"]) == (2, 2)


def frames_after(connection_id: str, seen: int) -> list[dict[str, Any]]:
    connections = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections
    return frames_of(connection_id)[seen:] if connection_id in connections else []


def fanout_batch(realtime: Realtime) -> list[dict[str, Any]]:
    """The fan-out's records written since the last read, to be handed over as ONE batch (routing not run)."""
    return [record for record in realtime.world.stream.read() if FANOUT_FILTER(record)]


def assigned_conversations(realtime: Realtime, count: int) -> dict[str, str]:
    """`count` conversations routed to a1 and a2; interaction id -> the customer's phone."""
    outcomes = {realtime.world.sms(phone(index), "first").interaction_id: phone(index) for index in range(count)}
    realtime.pump()
    assert all(realtime.world.interaction(interaction_id).get("agentId") for interaction_id in outcomes)
    return outcomes


def test_a_batch_of_many_message_events_gives_each_supervisor_one_update_carrying_them_all(watching: Realtime) -> None:
    watching.connect("a1-desk", "agent", "a1")
    watching.connect("a2-desk", "agent", "a2")
    for supervisor in ("sup-1", "sup-2"):
        watching.connect(supervisor, "supervisor")
        watching.act(supervisor, "supervisor", None, action="subscribe", topic="dashboard")
    conversations = assigned_conversations(watching, 4)
    seen = {connection: len(frames_after(connection, 0)) for connection in ("a1-desk", "a2-desk", "sup-1", "sup-2")}
    bodies = [f"busy {n}" for n in range(12)]
    customers = list(conversations.values())
    for n, body in enumerate(bodies):
        watching.world.sms(customers[n % len(customers)], body)
    batch = fanout_batch(watching)
    assert sum(record["dynamodb"]["NewImage"]["entity"]["S"] == "message" for record in batch) == 12
    watching.fanout.lambda_handler(stream_event(batch), FakeContext())

    for supervisor in ("sup-1", "sup-2"):
        [update] = frames_after(supervisor, seen[supervisor])
        assert update["type"] == "dashboard.update"
        assert [entry["body"] for entry in update["feed"]] == bodies and update["feedDropped"] == 0
    # The agents still get one frame per event of their own conversations, in order.
    for desk, agent_id in (("a1-desk", "a1"), ("a2-desk", "a2")):
        own = [key for key in conversations if watching.world.interaction(key)["agentId"] == agent_id]
        created = [frame for frame in frames_after(desk, seen[desk]) if frame["type"] == "message.created"]
        expected = [body for n, body in enumerate(bodies) if list(conversations)[n % len(customers)] in own]
        assert [frame["message"]["body"] for frame in created] == expected
        assert {frame["interactionId"] for frame in created} <= set(own)


def test_the_coalesced_update_carries_the_latest_counters_and_the_newest_of_a_busy_feed(watching: Realtime) -> None:
    from smschannel.realtime.fanout import FEED_PER_UPDATE

    watching.connect("sup", "supervisor")
    watching.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    seen = len(frames_after("sup", 0))
    count = FEED_PER_UPDATE + 5
    for index in range(count):  # new conversations, not routed yet: each one more waiting in the queue
        watching.world.sms(phone(100 + index), f"new {index}")
    records = watching.world.stream.read()
    watching.fanout.lambda_handler(stream_event([r for r in records if FANOUT_FILTER(r)]), FakeContext())

    [update] = frames_after("sup", seen)
    [queue] = update["queues"]
    assert (queue["id"], queue["open"], queue["waiting"]) == ("support", count, count)
    [account] = update["accounts"]
    assert account["open"] == count
    assert [entry["body"] for entry in update["feed"]] == [f"new {index}" for index in range(5, count)]
    assert update["feedDropped"] == 5
    # The next batches' updates carry the counters as they are then (routing assigns ten: two agents, five each).
    watching.world.invoke(stream_event([record for record in records if TRIGGERS_FILTER(record)]))
    watching.pump()
    later = [frame for frame in frames_after("sup", seen + 1) if frame["type"] == "dashboard.update"]
    last = {queue["id"]: queue for frame in later for queue in frame["queues"]}["support"]
    assert (last["open"], last["waiting"], last["answered"]) == (count, count - 10, 10)


def test_a_supervisor_with_a_conversation_open_gets_its_frames_as_they_happen(watching: Realtime) -> None:
    for supervisor in ("sup-watching", "sup-dashboard"):
        watching.connect(supervisor, "supervisor")
        watching.act(supervisor, "supervisor", None, action="subscribe", topic="dashboard")
    conversations = assigned_conversations(watching, 3)
    watched, other = list(conversations)[:2]
    watching.act("sup-watching", "supervisor", None, action="getInteraction", interactionId=watched)
    seen = {supervisor: len(frames_after(supervisor, 0)) for supervisor in ("sup-watching", "sup-dashboard")}
    watching.world.sms(conversations[watched], "in the open one")
    watching.world.sms(conversations[other], "elsewhere")
    watching.fanout.lambda_handler(stream_event(fanout_batch(watching)), FakeContext())

    watching = frames_after("sup-watching", seen["sup-watching"])
    assert [frame["type"] for frame in watching] == ["message.created", "dashboard.update"]
    assert watching[0]["interactionId"] == watched and watching[0]["message"]["body"] == "in the open one"
    [update] = frames_after("sup-dashboard", seen["sup-dashboard"])
    assert [entry["body"] for entry in update["feed"]] == ["in the open one", "elsewhere"]
    assert update == {**watching[1], "at": update["at"]}


def test_watching_only_a_supervisor_gets_the_whole_center_coalesced(watching: Realtime) -> None:
    supervisor = six_conversations_over_two_agents(watching)
    assert supervisor[0]["type"] == "dashboard.snapshot"
    # Only watching the dashboard: every message reaches it in the updates' live feed, none as its own frame.
    assert {frame["type"] for frame in supervisor} == {"dashboard.snapshot", "dashboard.update"}
    updates = [frame for frame in supervisor if frame["type"] == "dashboard.update"]
    assert sorted(entry["body"] for frame in updates for entry in frame["feed"]) == [f"hello {n}" for n in range(6)]
    assert len(updates) <= len(watching.responses)  # one per batch at most
    last = {queue["id"]: queue for frame in updates for queue in frame["queues"]}["support"]
    assert (last["open"], last["waiting"], last["answered"], last["answeredInTarget"]) == (6, 0, 6, 6)
