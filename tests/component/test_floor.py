"""The agents' floor under moto: teams as queue members, transfers (capacity moved in one transaction, racing each
other), wrap-up holding and giving back the agent's slot, and the block list (stored, never routed)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smschannel.errors import DomainError
from smschannel.floor.transfer import TransferService
from smschannel.models import utc_now
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.floor import FloorStore, Transfer, TransferOutcome
from smschannel.stores.interactions import InteractionStore
from smschannel.timestamps import parse_iso
from tests.component.harness import Realtime, Routing, frames_of, phone, share_stream_log
from tests.conftest import FakeContext, admin

ENDPOINT = "https://ws123.execute-api.us-east-1.amazonaws.com/dev"


@pytest.fixture
def floor(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Realtime:
    share_stream_log(monkeypatch)
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", ENDPOINT)
    world = Routing(aws)
    for agent_id in ("a1", "a2", "a3"):
        world.agent(agent_id, capacity=2)
    world.queue("support", agentIds=["a1"], strategy="round-robin")
    world.queue("billing", agentIds=[])
    world.use_queue("support")
    return Realtime(world)


def call(realtime: Realtime, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return admin(realtime.world.admin, method, path, body)


def of_type(connection_id: str, kind: str) -> list[dict[str, Any]]:
    return [frame for frame in frames_of(connection_id) if frame.get("type") == kind]


def assigned_to_a1(realtime: Realtime, n: int = 1) -> str:
    outcome = realtime.world.sms(phone(n), "my order is late")
    realtime.pump()
    assert realtime.world.interaction(outcome.interaction_id)["agentId"] == "a1"
    return outcome.interaction_id


def test_a_queue_s_members_are_its_agents_and_its_teams_kept_current(floor: Realtime) -> None:
    assert call(floor, "PUT", "/admin/teams/night", {"name": "Night", "agentIds": ["a2"]})[0] == 201
    code, queue = call(floor, "PUT", "/admin/queues/billing", {"name": "Billing", "teamIds": ["night"]})
    assert code == 200 and queue["memberIds"] == ["a2"]
    call(floor, "PUT", "/admin/teams/night", {"name": "Night", "agentIds": ["a2", "a3"]})
    assert call(floor, "GET", "/admin/queues/billing")[1]["memberIds"] == ["a2", "a3"]
    code, error = call(floor, "PUT", "/admin/teams/day", {"name": "Day", "agentIds": ["nobody"]})
    assert code == 422 and error["field"] == "agentIds"
    code, error = call(floor, "PUT", "/admin/queues/x", {"name": "X", "teamIds": ["missing"]})
    assert code == 422 and error["field"] == "teamIds"
    # Routing serves the team's agents; deleting the team takes them out of the queue.
    floor.world.use_queue("billing")
    outcome = floor.world.sms(phone(7))
    floor.pump()
    assert floor.world.interaction(outcome.interaction_id)["agentId"] in ("a2", "a3")
    assert call(floor, "DELETE", "/admin/teams/night")[0] == 204
    assert call(floor, "GET", "/admin/queues/billing")[1]["memberIds"] == []


def test_a_transfer_moves_the_capacity_and_the_receiver_sees_the_conversation_and_the_note(floor: Realtime) -> None:
    floor.connect("a1-desk", "agent", "a1")
    floor.connect("a2-desk", "agent", "a2")
    floor.connect("sup", "supervisor")
    floor.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    interaction_id = assigned_to_a1(floor)
    floor.act("a1-desk", "agent", "a1", action="transfer", interactionId=interaction_id, agentId="a2", note="VIP")
    floor.pump()
    item = floor.world.interaction(interaction_id)
    assert (item["agentId"], item["transfers"], item["lastTransfer"]["note"]) == ("a2", 1, "VIP")
    assert (floor.world.agent_item("a1")["load"], floor.world.agent_item("a2")["load"]) == (0, 1)
    [transferred] = of_type("a2-desk", "interaction.transferred")
    assert transferred["from"]["agentId"] == "a1" and transferred["to"] == {"agentId": "a2"}
    assert transferred["note"] == "VIP"
    bodies = [frame["message"]["body"] for frame in of_type("a2-desk", "message.created")]
    assert "my order is late" in bodies and any("Transferred from agent a1 to agent a2: VIP" in b for b in bodies)
    assert of_type("a1-desk", "interaction.unassigned") and of_type("sup", "interaction.transferred")
    # The transcript keeps the record as a note, never sent.
    detail = call(floor, "GET", f"/admin/interactions/{interaction_id}")[1]
    [note] = [message for message in detail["messages"] if message["direction"] == "note"]
    assert note["event"]["type"] == "transferred" and note["event"]["by"] == "agent:a1"


def test_refused_transfers_say_why_and_change_nothing(floor: Realtime) -> None:
    floor.connect("a1-desk", "agent", "a1")
    interaction_id = assigned_to_a1(floor)
    floor.world.agent("a3", capacity=2, status="paused")
    cases = [
        ({"agentId": "a1"}, "invalid_configuration", "agentId"),  # oneself
        ({"agentId": "a3"}, "agent_unavailable", "agentId"),
        ({"agentId": "ghost"}, "unknown_agent", "agentId"),
        ({"queueId": "ghost"}, "unknown_queue", "queueId"),
        ({"agentId": "a2", "queueId": "billing"}, "invalid_configuration", "agentId"),
        ({"agentId": "a2", "note": "x" * 1001}, "invalid_frame", "note"),
    ]
    for target, code, field in cases:
        floor.act("a1-desk", "agent", "a1", action="transfer", interactionId=interaction_id, **target)
        error = of_type("a1-desk", "error")[-1]
        assert (error["code"], error["field"]) == (code, field), target
    floor.world.agent("a2", capacity=0)
    code, error = call(floor, "POST", f"/admin/interactions/{interaction_id}/transfer", {"agentId": "a2"})
    assert (code, error["error"]) == (422, "agent_full")
    item = floor.world.interaction(interaction_id)
    assert (item["agentId"], item.get("transfers", 0), floor.world.agent_item("a1")["load"]) == ("a1", 0, 1)
    call(floor, "POST", f"/admin/interactions/{interaction_id}/close", {})
    code, error = call(floor, "POST", f"/admin/interactions/{interaction_id}/transfer", {"agentId": "a3"})
    assert code == 409 and error["error"] == "interaction_closed"


def test_transfers_racing_each_other_give_one_agent_and_never_exceed_capacity(floor: Realtime) -> None:
    """Two transfers built from the same read of the interaction (two desks acting at once), then one of them
    racing an assignment for the receiver's last slot: each transaction's conditions refuse the loser whole.
    (Interleaved by hand: moto restores its whole table when a transaction fails, so threads would race moto,
    not DynamoDB; the local stack races real concurrent requests, tests/integration/test_floor_stack.py.)"""
    interaction_id = assigned_to_a1(floor)
    floor.world.agent("a2", capacity=1)
    floor.world.agent("a3", capacity=1)
    table = floor.world.table
    store = FloorStore(table)
    snapshot = floor.world.interactions.get_interaction(interaction_id)
    assert snapshot is not None

    def transfer_to(agent_id: str) -> Transfer:
        return Transfer(snapshot, "a1", agent_id, None, None, "agent:a1", utc_now(), f"note-{agent_id}")

    assert store.transfer(transfer_to("a2")) == TransferOutcome.DONE
    assert store.transfer(transfer_to("a3")) == TransferOutcome.MOVED  # no longer a1's: nothing written
    loads = {agent: floor.world.agent_item(agent)["load"] for agent in ("a1", "a2", "a3")}
    assert floor.world.interaction(interaction_id)["agentId"] == "a2" and loads == {"a1": 0, "a2": 1, "a3": 0}
    notes = [m for m in floor.world.interactions.list_messages(interaction_id) if m.direction == "note"]
    assert [note.id for note in notes] == ["note-a2"]
    # The service reads again after a refusal and says why: a1 no longer holds it.
    service = TransferService(ConfigurationStore(table), InteractionStore(table), store)
    with pytest.raises(DomainError) as refused:
        service.transfer(interaction_id, agent_id="a3", queue_id=None, note=None, by="agent:a1", owner="a1")
    assert refused.value.code == "conflict"
    # a3's last slot taken by an assignment between the transfer's read and its write: refused as full.
    floor.world.use_queue("billing")
    call(floor, "PUT", "/admin/queues/billing", {"name": "Billing", "agentIds": ["a3"]})
    waiting = floor.world.sms(phone(5)).interaction_id
    floor.pump()
    assert floor.world.interaction(waiting)["agentId"] == "a3"
    with pytest.raises(DomainError) as full:
        service.transfer(interaction_id, agent_id="a3", queue_id=None, note=None, by="agent:a2", owner="a2")
    assert full.value.code == "agent_full"
    loads = {agent: floor.world.agent_item(agent)["load"] for agent in ("a1", "a2", "a3")}
    assert loads == {"a1": 0, "a2": 1, "a3": 1}


def test_a_queue_transfer_waits_ahead_of_newer_arrivals(floor: Realtime) -> None:
    floor.world.agent("a1", capacity=1)
    older = assigned_to_a1(floor, 1)
    newer = floor.world.sms(phone(2), "later customer").interaction_id
    floor.pump()
    assert "agentId" not in floor.world.interaction(newer) or not floor.world.interaction(newer).get("agentId")
    call(floor, "PUT", "/admin/queues/billing", {"name": "Billing", "agentIds": ["a2"]})
    floor.world.agent("a2", capacity=1, status="paused")
    code, body = call(floor, "POST", f"/admin/interactions/{older}/transfer", {"queueId": "billing"})
    assert code == 200 and body["interaction"]["queueId"] == "billing" and not body["interaction"].get("agentId")
    floor.pump()
    # a1's freed slot goes to the waiter of its queue; the transferred one waits in billing until a2 is ready.
    assert floor.world.interaction(newer)["agentId"] == "a1"
    assert floor.world.interaction(older)["queuePartition"].startswith("QUEUE#billing#WAITING#")
    floor.world.agent("a2", capacity=1, status="ready")
    floor.pump()
    assert floor.world.interaction(older)["agentId"] == "a2"


def wrap_up_queue(floor: Realtime, seconds: int) -> None:
    body = {
        "name": "Support",
        "agentIds": ["a1"],
        "dispositions": ["resolved", "escalated"],
        "dispositionRequired": True,
        "wrapUpSeconds": seconds,
    }
    assert call(floor, "PUT", "/admin/queues/support", body)[0] == 200
    floor.world.agent("a1", capacity=1)


def test_wrap_up_holds_the_slot_until_submitted_then_routing_serves_the_next(floor: Realtime) -> None:
    wrap_up_queue(floor, 300)
    floor.connect("a1-desk", "agent", "a1")
    first = assigned_to_a1(floor, 1)
    floor.act("a1-desk", "agent", "a1", action="closeInteraction", interactionId=first, disposition="nope")
    assert of_type("a1-desk", "error")[-1]["field"] == "disposition"
    floor.act("a1-desk", "agent", "a1", action="closeInteraction", interactionId=first)
    floor.pump()
    closed = floor.world.interaction(first)
    assert closed["status"] == "closed" and closed["wrapUpUntil"] and closed["handleSeconds"] >= 0
    assert floor.world.agent_item("a1")["load"] == 1 and floor.world.agent_item("a1")["wrapUps"] == [first]
    second = floor.world.sms(phone(2), "next").interaction_id
    floor.pump()
    assert not floor.world.interaction(second).get("agentId")  # a1's slot is held by the wrap-up
    floor.act("a1-desk", "agent", "a1", action="submitWrapUp", interactionId=first)
    assert of_type("a1-desk", "error")[-1]["field"] == "disposition"  # required
    floor.act("a1-desk", "agent", "a1", action="submitWrapUp", interactionId=first, disposition="resolved", notes="ok")
    floor.pump()
    done = floor.world.interaction(first)
    assert (done["disposition"], done["wrapUpNotes"], done["wrapUpExpired"]) == ("resolved", "ok", False)
    assert "wrapUpUntil" not in done and done["wrapUpSeconds"] >= 0
    assert floor.world.interaction(second)["agentId"] == "a1"
    assert floor.world.agent_item("a1").get("wrapUps", []) == []
    updates = [frame["agent"] for frame in of_type("a1-desk", "agent.updated")]
    assert any(agent["status"] == "wrap-up" for agent in updates)
    # Entering and leaving wrap-up each restart the time in state the dashboard shows (the agent chose nothing).
    shown = [(agent["status"], agent.get("statusSince")) for agent in updates]
    into = next(since for status, since in shown if status == "wrap-up")
    back = [since for status, since in shown if status == "ready" and since and since > into]
    assert into and into > closed["closedAt"][:19] and back, shown
    # Submitting again is refused: the slot was given back once.
    floor.act("a1-desk", "agent", "a1", action="submitWrapUp", interactionId=first, disposition="resolved")
    assert of_type("a1-desk", "error")[-1]["code"] == "interaction_closed"
    assert floor.world.agent_item("a1")["load"] == 1


def test_wrap_up_runs_out_on_its_timer_and_the_sweep_catches_a_lost_one(
    floor: Realtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrap_up_queue(floor, 1)
    first = assigned_to_a1(floor, 1)
    call(floor, "POST", f"/admin/interactions/{first}/close", {"disposition": "resolved"})
    floor.pump()
    until = floor.world.interaction(first)["wrapUpUntil"]
    assert floor.world.agent_item("a1")["load"] == 1
    # The timer's message (as the domain consumer sends it) before the time: nothing is finished.
    timer = {"Records": [sqs_record({"interactionId": first, "until": until})]}
    assert floor.world.invoke(timer) == {"batchItemFailures": []}
    if datetime.now(UTC) < parse_iso(until) - timedelta(seconds=1):  # not due yet: still held
        assert floor.world.agent_item("a1")["load"] == 1
    deadline = time.time() + 5
    while floor.world.interaction(first).get("wrapUpUntil") and time.time() < deadline:
        time.sleep(0.2)
        floor.world.invoke(timer)
    done = floor.world.interaction(first)
    assert done["wrapUpExpired"] is True and done["disposition"] == "resolved" and done["wrapUpSeconds"] == 1
    assert floor.world.agent_item("a1")["load"] == 0
    # A lost timer: the sweep finishes the wrap-up once its time is past.
    second = assigned_to_a1(floor, 2)
    call(floor, "POST", f"/admin/interactions/{second}/close", {"disposition": "resolved"})
    floor.pump()
    while floor.world.sweep()["wrapUpsFinished"] == 0 and time.time() < deadline + 5:
        time.sleep(0.2)
    assert floor.world.agent_item("a1")["load"] == 0 and floor.world.interaction(second)["wrapUpExpired"] is True


def sqs_record(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": "m-" + str(time.time_ns()),
        "receiptHandle": "r",
        "body": json.dumps(body),
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:wrap-up-timers",
        "awsRegion": "us-east-1",
    }


def test_a_blocked_number_is_stored_but_never_routed_and_its_open_interaction_closes(floor: Realtime) -> None:
    blocked = phone(9)
    floor.world.sms(blocked, "hello")
    floor.pump()
    [open_one] = floor.world.interactions.list_interactions(floor.world.account.id, "open", blocked)
    assert open_one.agent_id == "a1"
    account = floor.world.account.id
    code, entry = call(floor, "PUT", f"/admin/accounts/{account}/blocked/%2B15550000009", {"reason": "abuse"})
    assert code == 201 and entry["phone"] == blocked and entry["reason"] == "abuse"
    closed = floor.world.interaction(open_one.id)
    assert (closed["status"], closed["disposition"]) == ("closed", "blocked")
    assert floor.world.agent_item("a1")["load"] == 0
    later = floor.world.sms(blocked, "still here")
    floor.pump()
    again = floor.world.interaction(later.interaction_id)
    assert (again["status"], again["disposition"], again.get("agentId")) == ("closed", "blocked", None)
    messages = floor.world.interactions.list_messages(later.interaction_id)
    assert [message.body for message in messages] == ["still here"]  # nothing lost
    assert floor.world.agent_item("a1")["load"] == 0
    assert call(floor, "GET", f"/admin/accounts/{account}/blocked")[1]["items"][0]["phone"] == blocked
    code, error = call(floor, "PUT", f"/admin/accounts/{account}/blocked/12", {})
    assert code == 422 and error["field"] == "phone"
    assert call(floor, "DELETE", f"/admin/accounts/{account}/blocked/%2B15550000009")[0] == 204
    floor.world.sms(blocked, "unblocked")
    floor.pump()
    [routed] = floor.world.interactions.list_interactions(account, "open", blocked)
    assert routed.agent_id == "a1"


def test_pause_reasons_are_the_center_s_and_the_account_key_is_at_most_five(floor: Realtime) -> None:
    assert call(floor, "PUT", "/admin/settings", {"pauseReasons": ["break", "coaching"]})[0] == 200
    floor.connect("a1-desk", "agent", "a1")
    floor.act("a1-desk", "agent", "a1", action="setStatus", status="paused", reason="lunch")
    assert of_type("a1-desk", "error")[-1]["field"] == "reason"
    floor.act("a1-desk", "agent", "a1", action="setStatus", status="paused", reason="coaching")
    assert floor.world.agent_item("a1")["pauseReason"] == "coaching"
    floor.act("a1-desk", "agent", "a1", action="subscribe", topic="agent")
    [snapshot] = of_type("a1-desk", "agent.snapshot")
    assert snapshot["pauseReasons"] == ["break", "coaching"]
    body = {"name": "A", "provider": "twilio", "phoneNumber": "+15005550006", "key": "TOOLONG"}
    body["credentials"] = {"accountSid": "AC" + "0" * 32, "authToken": "t" * 32}
    code, error = call(floor, "PUT", "/admin/accounts/keyed", body)
    assert code == 422 and "key" in json.dumps(error)
    assert call(floor, "PUT", "/admin/accounts/keyed", {**body, "key": "SUP"})[1]["key"] == "SUP"


def test_the_timer_handler_is_the_triggers_function(floor: Realtime) -> None:
    response = floor.world.triggers.lambda_handler({"Records": [sqs_record({"interactionId": "nope"})]}, FakeContext())
    assert response == {"batchItemFailures": []}


def test_the_desk_gets_the_customer_s_previous_conversations_read_only(floor: Realtime) -> None:
    floor.connect("a1-desk", "agent", "a1")
    earlier = assigned_to_a1(floor, 3)
    call(floor, "POST", f"/admin/interactions/{earlier}/close", {"disposition": "resolved"})
    floor.pump()
    current = assigned_to_a1(floor, 3)
    floor.act("a1-desk", "agent", "a1", action="getHistory", interactionId=current)
    [history] = of_type("a1-desk", "contact.history")
    assert history["contact"]["phone"] == phone(3)
    assert [each["id"] for each in history["interactions"]] == [earlier]
    assert [m["body"] for m in history["interactions"][0]["messages"]] == ["my order is late"]
    floor.connect("a2-desk", "agent", "a2")
    floor.act("a2-desk", "agent", "a2", action="getHistory", interactionId=current)
    assert of_type("a2-desk", "error")[-1]["code"] == "not_yours"  # another agent's customer


def test_a_supervisor_named_by_teams_sees_and_acts_on_those_teams_only(floor: Realtime) -> None:
    world = floor.world
    assert call(floor, "PUT", "/admin/teams/north", {"name": "North", "agentIds": ["a1"], "supervisorIds": ["sue"]})[0]
    assert call(floor, "PUT", "/admin/teams/south", {"name": "South", "agentIds": ["a2"]})[0] == 201
    world.queue("support", teamIds=["north"], strategy="round-robin")
    world.queue("billing", teamIds=["south"])
    floor.connect("sue", "supervisor", supervisor_id="sue")  # a signed-in supervisor (ticket: her username)
    floor.connect("boss", "supervisor")  # the static supervisor link: the whole center
    floor.act("sue", "supervisor", None, action="subscribe", topic="dashboard")
    floor.act("boss", "supervisor", None, action="subscribe", topic="dashboard")
    [mine] = of_type("sue", "dashboard.snapshot")
    assert [queue["id"] for queue in mine["queues"]] == ["support"] and mine["scope"] == {"teamIds": ["north"]}
    assert [agent["id"] for agent in mine["agents"]] == ["a1"] and [team["id"] for team in mine["teams"]] == ["north"]
    [whole] = of_type("boss", "dashboard.snapshot")
    assert {queue["id"] for queue in whole["queues"]} == {"support", "billing"} and "scope" not in whole

    north = assigned_to_a1(floor, 1)
    world.use_queue("billing")
    south = world.sms(phone(2), "a billing question").interaction_id
    floor.pump()
    assert world.interaction(south)["agentId"] == "a2"
    world.use_queue("support")
    later = world.sms(phone(3), "another one for the north").interaction_id  # the event that comes after
    floor.pump()

    def seen(connection_id: str) -> set[str]:
        frames = frames_of(connection_id)
        feed = {entry["interactionId"] for frame in frames for entry in frame.get("feed", [])}
        messages = {frame["interactionId"] for frame in frames if frame.get("type") == "message.created"}
        return feed | messages

    assert seen("boss") >= {north, south, later}
    assert seen("sue") >= {north, later} and south not in seen("sue")
    updates = of_type("sue", "dashboard.update")
    assert {queue["id"] for update in updates for queue in update["queues"]} <= {"support"}
    assert {agent["id"] for update in updates for agent in update["agents"]} <= {"a1"}

    # Acting outside her teams is refused like another agent's work; inside them it is not.
    floor.act("sue", "supervisor", None, action="getInteraction", interactionId=south)
    floor.act("sue", "supervisor", None, action="getInteraction", interactionId=north)
    assert [frame["code"] for frame in of_type("sue", "error")] == ["not_yours"]
    assert [frame["interaction"]["id"] for frame in of_type("sue", "interaction.detail")] == [north]

    # A supervisor link can carry the scope too.
    status, issued = call(floor, "POST", "/admin/tokens", {"role": "supervisor", "supervisorId": "sue"})
    assert status == 201
    from smschannel.secrets import token_signing_key
    from smschannel.settings import get_settings
    from smschannel.tokens import verify_token

    principal = verify_token(token_signing_key(get_settings()), issued["token"])
    assert (principal.role, principal.supervisor_id) == ("supervisor", "sue")
