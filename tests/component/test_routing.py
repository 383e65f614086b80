"""Queue assignment end to end under moto: real inbound writes, the table's real stream (moto dynamodbstreams)
replayed into functions/triggers/app.py in the Lambda event shape, and assertions on the table."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest

from smschannel.stores.inbound_messages import InboundOutcome
from tests.component.harness import TRIGGERS_FILTER, Routing, later, phone, share_stream_log, stream_event
from tests.conftest import admin, load_function


class LockedClient:
    """Serializes calls into moto (not built for concurrent mutation) while handlers still interleave between
    calls: each handler reads, decides and writes conditionally as separate steps, like concurrent Lambdas."""

    def __init__(self, client: Any, lock: threading.Lock) -> None:
        self._client = client
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name == "get_paginator":
            return lambda operation: LockedPaginator(attribute(operation), self._lock)
        if not callable(attribute):
            return attribute

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return locked


class LockedPaginator:
    """A paginator whose every page is fetched under the lock, like every other call of a LockedClient."""

    def __init__(self, paginator: Any, lock: threading.Lock) -> None:
        self._paginator = paginator
        self._lock = lock

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        pages = iter(self._paginator.paginate(**kwargs))
        while True:
            with self._lock:
                page = next(pages, None)
            if page is None:
                return
            yield page


def isolated_container(client_lock: threading.Lock) -> ModuleType:
    """A fresh import of the triggers function (its own caches, like a separate Lambda container)."""
    module = load_function("triggers")
    store = module.consumer.routing.store
    store.table.client = LockedClient(store.table.client, client_lock)
    return module


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Routing:
    share_stream_log(monkeypatch)
    return Routing(aws)


def assigned_agents(world: Routing, outcomes: list[InboundOutcome]) -> list[str | None]:
    return [world.interaction(outcome.interaction_id).get("agentId") for outcome in outcomes]


# --- the race: capacity is never exceeded -------------------------------------------------------------------------


def test_200_arrivals_for_5_agents_of_capacity_3_racing_never_exceed_capacity_then_drain_in_arrival_order(
    world: Routing,
) -> None:
    agents = [f"agent-{n}" for n in range(5)]
    for agent_id in agents:
        world.agent(agent_id, capacity=3)
    world.queue("support", strategy="least-busy", agentIds=agents)
    world.use_queue("support")
    world.stream.read()  # configuration changes are not part of the race

    outcomes = [world.sms(phone(n)) for n in range(200)]
    arrivals = [record for record in world.stream.read() if TRIGGERS_FILTER(record)]
    created = [
        r for r in arrivals if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["entity"]["S"] == "interaction"
    ]
    assert len(created) == 200

    # Eight "containers" take interleaved slices of the arrivals concurrently: each reads agents, decides and
    # writes conditionally, so their snapshots go stale under each other (as concurrent Lambdas' would).
    lock = threading.Lock()
    containers = [isolated_container(lock) for _ in range(8)]
    slices = [arrivals[index::8] for index in range(8)]

    def run_container(index: int) -> list[dict[str, Any]]:
        # One container takes one invocation at a time (as Lambda does); the eight run side by side.
        chunk = slices[index]
        return [
            world.invoke(stream_event(chunk[start : start + 5]), containers[index]) for start in range(0, len(chunk), 5)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = [response for batch in pool.map(run_container, range(8)) for response in batch]
    assert all(response == {"batchItemFailures": []} for response in responses)
    world.pump()  # the changes the assignments made (agent load) wake nothing more

    holders = assigned_agents(world, outcomes)
    for agent_id in agents:
        load = world.agent_item(agent_id)["load"]
        assert load == 3 == holders.count(agent_id), agent_id
    assert holders.count(None) == 185
    waiting = [world.interaction(o.interaction_id) for o, held in zip(outcomes, holders, strict=True) if not held]
    assert all(item["queuePartition"].startswith("QUEUE#support#WAITING#") for item in waiting)
    assert all(item.get("waitingSince") for item in waiting)

    # Agents close what they hold; each close frees one place, served oldest first.
    served_order: list[str] = []
    for _ in range(40):
        open_now = [o.interaction_id for o, held in zip(outcomes, assigned_agents(world, outcomes), strict=True)]
        held_now = [
            i for i in open_now if world.interaction(i).get("agentId") and world.interaction(i)["status"] == "open"
        ]
        if not held_now:
            break
        before = {i for i in open_now if world.interaction(i).get("agentId")}
        for interaction_id in held_now:
            world.interactions.close_interaction(interaction_id, "resolved")
        world.pump()
        newly = sorted(
            (world.interaction(i) for i in open_now if world.interaction(i).get("agentId") and i not in before),
            key=lambda item: item["assignedAt"],
        )
        served_order += [item["id"] for item in newly]
        for agent_id in agents:
            assert world.agent_item(agent_id)["load"] <= 3
    arrival_order = [o.interaction_id for o, held in zip(outcomes, holders, strict=True) if not held]
    assert sorted(served_order, key=arrival_order.index) == arrival_order
    # Each round serves exactly the oldest waiters: the first 15 served are the first 15 that waited.
    assert set(served_order[:15]) == set(arrival_order[:15])
    assert all(world.agent_item(agent_id)["load"] == 0 for agent_id in agents)


# --- behaviours ---------------------------------------------------------------------------------------------------


def test_a_returning_customer_goes_to_their_last_agent_and_the_interaction_carries_the_contact_name(
    world: Routing,
) -> None:
    for agent_id in ("agent-a", "agent-b"):
        world.agent(agent_id, capacity=5)
    world.queue("support", strategy="round-robin", agentIds=["agent-a", "agent-b"], stickyAgent=True)
    world.use_queue("support")
    world.sms(phone(1))  # served by agent-a (first in the ring)
    first = world.sms(phone(2))
    world.pump()
    assert world.interaction(first.interaction_id)["agentId"] == "agent-b"
    contact_id = world.interaction(first.interaction_id)["contactId"]
    assert world.contacts.get_contact(contact_id).last_agent_id == "agent-b"  # type: ignore[union-attr]
    status, _ = admin(world.admin, "PUT", f"/admin/contacts/{contact_id}", {"name": "Ada Lovelace"})
    assert status == 200
    world.interactions.close_interaction(first.interaction_id, "resolved")
    world.pump()

    returning = world.sms(phone(2), "me again")
    world.pump()
    item = world.interaction(returning.interaction_id)
    # Round-robin alone would pick agent-a (agent-b served last); stickiness wins.
    assert item["agentId"] == "agent-b"
    assert item["contactName"] == "Ada Lovelace"


def test_a_waiter_past_the_queue_timeout_overflows_and_is_assigned_there(world: Routing) -> None:
    world.agent("front", capacity=1, status="paused")
    world.agent("backup", capacity=2)
    world.queue("backup-q", strategy="longest-idle", agentIds=["backup"])
    world.queue("front-q", strategy="round-robin", agentIds=["front"], timeoutSeconds=60, overflowQueueId="backup-q")
    world.use_queue("front-q")
    outcome = world.sms(phone(7))
    world.pump()
    assert world.interaction(outcome.interaction_id)["queuePartition"].startswith("QUEUE#front-q#WAITING#")

    assert world.sweep() == {"overflowed": 0, "timedOut": 0, "assigned": 0, "wrapUpsFinished": 0}  # not yet 60 s
    world.triggers.consumer.routing.clock = lambda: later(61)
    report = world.sweep()
    assert report["overflowed"] == 1 and report["assigned"] == 1
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert (item["queueId"], item["agentId"], item["overflowedFrom"]) == ("backup-q", "backup", "front-q")
    assert item["queuePartition"] == "AGENT#backup#OPEN"


def test_a_waiter_past_the_timeout_of_a_queue_without_overflow_is_flagged_once_for_queue_timeout(
    world: Routing,
) -> None:
    world.agent("only", capacity=1, status="offline")
    world.queue("lonely", agentIds=["only"], timeoutSeconds=30)
    world.use_queue("lonely")
    outcome = world.sms(phone(8))
    world.pump()
    world.triggers.consumer.routing.clock = lambda: later(31)
    assert world.sweep()["timedOut"] == 1
    assert world.sweep()["timedOut"] == 0
    item = world.interaction(outcome.interaction_id)
    assert item["pendingEvent"] == "queue.timeout" and item["queueTimedOutAt"]
    assert item["queuePartition"].startswith("QUEUE#lonely#WAITING#")  # still waiting in its place
    world.triggers.consumer.routing.clock = lambda: later(0)
    world.agent("only", capacity=1, status="ready")
    world.pump()
    assigned = world.interaction(outcome.interaction_id)
    assert assigned["agentId"] == "only" and "pendingEvent" not in assigned


def test_a_poison_record_is_reported_as_a_batch_item_failure_and_the_rest_of_the_batch_is_routed(
    world: Routing,
) -> None:
    world.agent("agent-1", capacity=5)
    world.queue("support", agentIds=["agent-1"])
    world.use_queue("support")
    outcomes = [world.sms(phone(n)) for n in range(3)]
    records = [record for record in world.stream.read() if TRIGGERS_FILTER(record)]
    poison = {
        **records[0],
        "eventID": "poison",
        "dynamodb": {
            **records[0]["dynamodb"],
            "SequenceNumber": "999",
            "NewImage": {"entity": {"S": "interaction"}, "id": {"S": "int-broken"}, "status": {"N": "7"}},
        },
    }
    response = world.invoke(stream_event([records[0], poison, *records[1:]]))
    assert response == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    assert assigned_agents(world, outcomes) == ["agent-1"] * 3

    only_poison = world.invoke(stream_event([poison]))  # never raised, even when every record fails
    assert only_poison == {"batchItemFailures": [{"itemIdentifier": "999"}]}


def test_paused_and_offline_agents_receive_nothing_and_keep_their_interactions(world: Routing) -> None:
    world.agent("agent-1", capacity=2)
    world.agent("agent-2", capacity=2)
    world.queue("support", strategy="round-robin", agentIds=["agent-1", "agent-2"])
    world.use_queue("support")
    held = world.sms(phone(1))
    world.pump()
    assert world.interaction(held.interaction_id)["agentId"] == "agent-1"
    world.agent("agent-1", capacity=2, status="paused")
    world.agent("agent-2", capacity=2, status="offline")
    world.pump()
    waiting = world.sms(phone(2))
    world.pump()
    assert world.interaction(held.interaction_id)["agentId"] == "agent-1"  # stays theirs
    assert "agentId" not in world.interaction(waiting.interaction_id)
    world.agent("agent-2", capacity=2, status="ready")
    world.pump()
    assert world.interaction(waiting.interaction_id)["agentId"] == "agent-2"


def test_a_queue_with_requeue_on_unavailable_hands_an_absent_agents_interactions_to_the_others(
    world: Routing,
) -> None:
    world.agent("leaving", capacity=3)
    world.agent("staying", capacity=3, status="paused")
    world.queue("support", strategy="round-robin", agentIds=["leaving", "staying"], requeueOnUnavailable=True)
    world.use_queue("support")
    outcomes = [world.sms(phone(n)) for n in range(2)]
    world.pump()
    assert assigned_agents(world, outcomes) == ["leaving", "leaving"]
    world.agent("staying", capacity=3, status="ready")
    world.agent("leaving", capacity=3, status="offline")
    world.pump()
    assert assigned_agents(world, outcomes) == ["staying", "staying"]
    assert world.agent_item("leaving")["load"] == 0 and world.agent_item("staying")["load"] == 2
    assert world.interaction(outcomes[0].interaction_id)["requeuedFrom"] == "leaving"


# --- each strategy end to end -------------------------------------------------------------------------------------


def route_one_at_a_time(world: Routing, count: int, start: int = 100) -> list[str | None]:
    served = []
    for n in range(count):
        outcome = world.sms(phone(start + n))
        world.pump()
        served.append(world.interaction(outcome.interaction_id).get("agentId"))
    return served


def test_round_robin_end_to_end_resumes_after_the_last_agent_served_even_in_a_new_container(world: Routing) -> None:
    for agent_id in ("r1", "r2", "r3"):
        world.agent(agent_id, capacity=5)
    world.queue("rr", strategy="round-robin", agentIds=["r2", "r3", "r1"])
    world.use_queue("rr")
    assert route_one_at_a_time(world, 4) == ["r2", "r3", "r1", "r2"]
    world.triggers = load_function("triggers")  # a cold container reads the pointer from the table
    assert route_one_at_a_time(world, 2, start=200) == ["r3", "r1"]


def test_least_busy_end_to_end_fills_by_load_relative_to_capacity(world: Routing) -> None:
    world.agent("small", capacity=1)
    world.agent("big", capacity=4)
    world.queue("lb", strategy="least-busy", agentIds=["small", "big"])
    world.use_queue("lb")
    # 0/1 vs 0/4 tie -> id order (big); then 0/1 < 1/4 -> small; then only big has room.
    assert route_one_at_a_time(world, 5) == ["big", "small", "big", "big", "big"]
    assert route_one_at_a_time(world, 1, start=300) == [None]


def test_longest_idle_end_to_end_serves_the_agent_assigned_longest_ago(world: Routing) -> None:
    for agent_id in ("i1", "i2", "i3"):
        world.agent(agent_id, capacity=5)
    world.queue("li", strategy="longest-idle", agentIds=["i1", "i2", "i3"])
    world.use_queue("li")
    assert route_one_at_a_time(world, 5) == ["i1", "i2", "i3", "i1", "i2"]


def test_ring_all_and_random_end_to_end_use_every_agent_and_never_exceed_capacity(world: Routing) -> None:
    for agent_id in ("x1", "x2", "x3"):
        world.agent(agent_id, capacity=2)
    world.queue("ring", strategy="ring-all", agentIds=["x1", "x2", "x3"])
    world.queue("rand", strategy="random", agentIds=["x1", "x2", "x3"])
    world.use_queue("ring")
    world.triggers.consumer.routing.rng = random.Random(3)
    ring = route_one_at_a_time(world, 3)
    world.use_queue("rand")
    rand = route_one_at_a_time(world, 4, start=400)
    assert sorted(ring + rand[:3]) == ["x1", "x1", "x2", "x2", "x3", "x3"] and rand[3] is None
    assert len(set(ring)) >= 2


def emitted(captured: str, name: str) -> list[float]:
    """The values of metric `name` in the Embedded Metric Format lines a handler printed (what CloudWatch reads)."""
    values: list[float] = []
    for line in captured.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            found = document.get(name)
            values += found if isinstance(found, list) else [] if found is None else [found]
    return values


def test_the_ops_dashboard_metrics_say_how_long_an_assignment_waited_and_how_many_still_wait(
    world: Routing, capsys: pytest.CaptureFixture[str]
) -> None:
    world.agent("busy", capacity=1)
    world.queue("ops-q", agentIds=["busy"])
    world.use_queue("ops-q")
    first, second = world.sms(phone(21)), world.sms(phone(22))
    world.pump()
    assert world.interaction(first.interaction_id)["agentId"] == "busy"
    assert (
        "agentId" not in world.interaction(second.interaction_id)
        or not world.interaction(second.interaction_id)["agentId"]
    )
    waits = emitted(capsys.readouterr().out, "AssignmentWaitSeconds")
    assert len(waits) == 1 and 0 <= waits[0] < 30, waits

    world.triggers.consumer.routing.clock = lambda: later(90)
    world.sweep()
    assert emitted(capsys.readouterr().out, "WaitingInteractions") == [1.0]  # the second customer, nobody free
    admin(world.admin, "POST", f"/admin/interactions/{first.interaction_id}/close", {})
    world.pump()  # the agent's freed slot takes the waiter, who waited the 90 s the clock now says
    waits = emitted(capsys.readouterr().out, "AssignmentWaitSeconds")
    assert len(waits) == 1 and waits[0] >= 89, waits
    world.sweep()
    assert emitted(capsys.readouterr().out, "WaitingInteractions") == [0.0]
