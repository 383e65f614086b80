"""Agents and supervisors on the deployed WebSocket API, with real `websockets` clients: the handshake's token
check, the frames of an inbound SMS, actions and their refusals, the supervisor's snapshot and updates."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import websockets

from smschannel.tokens import derive_signing_key, issue_token
from tests.integration.conftest import Stack
from tests.integration.harness import TABLE_NAME, Client, connect, eventually, make_team, new_phone, stack_table, token


async def status_marker(client: Client, status: str) -> dict[str, Any]:
    """The agent of `client` sets `status`: the fan-out's `agent.updated` frame comes from a table change written
    after everything the test did before, so it arrives after any frame those changes could still cause (the
    stream is handed to the fan-out in order). Returns the frame: "nothing else arrived" is judged up to it."""
    after = len(client.frames)
    await client.send(action="setStatus", status=status)
    return await client.wait_for(
        lambda f: f.get("type") == "agent.updated" and f["agent"]["status"] == status, timeout=20, after=after
    )


def run[T](scenario: Any) -> T:
    return asyncio.run(scenario)  # type: ignore[no-any-return]


async def handshake_status(stack: Stack, query: str) -> int:
    try:
        async with websockets.connect(f"{stack.ws}{query}", open_timeout=30):
            return 101
    except websockets.InvalidStatus as refused:
        return refused.response.status_code


def test_missing_wrong_and_expired_tokens_are_refused_at_the_handshake(stack: Stack) -> None:
    key = derive_signing_key(stack.admin_token)
    expired = issue_token(key, "agent", "agent-1", ttl_seconds=-5)
    forged = issue_token(derive_signing_key("not-the-admin-token"), "supervisor")
    unknown_agent = issue_token(key, "agent", f"nobody-{uuid.uuid4().hex[:6]}")

    async def scenario() -> dict[str, int]:
        return {
            "missing": await handshake_status(stack, ""),
            "garbage": await handshake_status(stack, "?token=not-a-token"),
            "expired": await handshake_status(stack, f"?token={expired}"),
            "forged": await handshake_status(stack, f"?token={forged}"),
            "unknown agent": await handshake_status(stack, f"?token={unknown_agent}"),
            "valid": await handshake_status(stack, f"?token={token(stack, role='supervisor')}"),
        }

    statuses = run(scenario())
    # No identity source is declared (a handshake carries ?token= or ?ticket=), so a missing one is the authorizer's
    # Deny (403), like a wrong one, rather than API Gateway's own 401 (docs/realtime.md).
    assert statuses["missing"] == statuses["garbage"] == statuses["expired"] == statuses["forged"] == 403
    assert statuses["unknown agent"] >= 400
    assert statuses["valid"] == 101


def test_an_inbound_sms_reaches_its_agent_on_every_connection_and_no_other_agent(stack: Stack) -> None:
    team = make_team(stack, ["ready", "paused"])  # the paused one is never assigned
    mine, other = team.agent_ids
    phone = new_phone()

    async def scenario() -> tuple[Client, Client, Client, dict[str, Any]]:
        desk = await connect(stack, token(stack, agentId=mine))
        phone_app = await connect(stack, token(stack, agentId=mine))  # an agent may have several connections
        bystander = await connect(stack, token(stack, agentId=other))
        response = await asyncio.to_thread(stack.post_twilio, team.account, phone, "Where is my parcel?")
        assert response.status_code == 200
        for client in (desk, phone_app):
            assigned = await client.wait_type("interaction.assigned")
            created = await client.wait_type("message.created")
            assert client.frames.index(assigned) < client.frames.index(created)
            assert assigned["interaction"]["agentId"] == mine
            assert assigned["interaction"]["phone"] == phone
            assert created["message"]["body"] == "Where is my parcel?"
            assert created["message"]["direction"] == "in"
            assert created["interactionId"] == assigned["interaction"]["id"]
        # The customer writes again: the assigned agent gets it at once.
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "Order 1234")
        await desk.wait_for(lambda f: f.get("type") == "message.created" and f["message"]["body"] == "Order 1234")
        # Markers after which nothing more of the interaction may arrive: each agent's own status change.
        await status_marker(desk, "paused")
        await status_marker(bystander, "ready")
        for client in (desk, phone_app, bystander):
            await client.close()
        return desk, phone_app, bystander, assigned

    desk, _phone_app, bystander, assigned = run(scenario())
    interaction_id = assigned["interaction"]["id"]
    assert not [f for f in bystander.frames if interaction_id in str(f)], bystander.frames
    assert stack.interaction(interaction_id)["agentId"] == mine
    assert desk.types().count("interaction.assigned") == 1


def test_close_interaction_is_authorized_and_reaches_the_agent_as_interaction_closed(stack: Stack) -> None:
    team = make_team(stack, ["ready", "paused"])
    mine, other = team.agent_ids

    async def scenario() -> tuple[Client, Client, dict[str, Any]]:
        agent = await connect(stack, token(stack, agentId=mine))
        intruder = await connect(stack, token(stack, agentId=other))
        await asyncio.to_thread(stack.post_twilio, team.account, new_phone(), "Please close me")
        interaction = (await agent.wait_type("interaction.assigned"))["interaction"]

        await intruder.send(action="closeInteraction", interactionId=interaction["id"], disposition="stolen")
        refused = await intruder.wait_type("error")
        await intruder.send(action="markRead", interactionId=interaction["id"])
        await intruder.wait_for(lambda f: f.get("type") == "error" and f.get("action") == "markRead")
        await intruder.send(action="getInteraction", interactionId=interaction["id"])
        await intruder.wait_for(lambda f: f.get("type") == "error" and f.get("action") == "getInteraction")
        await intruder.send(action="closeInteraction", interactionId="int-does-not-exist")
        missing = await intruder.wait_for(lambda f: f.get("type") == "error" and f.get("code") == "not_found")

        await agent.send(action="closeInteraction", interactionId=interaction["id"], disposition="resolved")
        closed = await agent.wait_type("interaction.closed")
        await agent.send(action="closeInteraction", interactionId=interaction["id"])
        again = await agent.wait_type("error", action="closeInteraction")
        marker = await status_marker(intruder, "ready")  # after the close: its frames would have come before
        intruder.frames.remove(marker)
        await agent.close()
        await intruder.close()
        return intruder, agent, {"refused": refused, "missing": missing, "closed": closed, "again": again}

    intruder, _agent, frames = run(scenario())
    assert frames["refused"]["code"] == "not_yours"
    assert frames["refused"]["interactionId"] == frames["closed"]["interaction"]["id"]
    assert frames["missing"]["code"] == "not_found"
    assert frames["closed"]["interaction"]["status"] == "closed"
    assert frames["closed"]["interaction"]["disposition"] == "resolved"
    assert frames["again"]["code"] == "interaction_closed"
    # The refused agent learnt nothing but the refusals.
    assert {frame["type"] for frame in intruder.frames} == {"error"}
    assert all(frame["code"] in {"not_yours", "not_found"} for frame in intruder.frames)


def test_set_status_changes_the_agent_and_tells_its_connections(stack: Stack) -> None:
    team = make_team(stack, ["paused"])
    [agent_id] = team.agent_ids

    async def scenario() -> dict[str, Any]:
        agent = await connect(stack, token(stack, agentId=agent_id))
        await agent.send(action="setStatus", status="ready")
        updated = await agent.wait_for(lambda f: f.get("type") == "agent.updated" and f["agent"]["status"] == "ready")
        await agent.send(action="setStatus", status="offline")
        refused = await agent.wait_type("error")
        await agent.close()
        return {"updated": updated, "refused": refused}

    frames = run(scenario())
    assert frames["updated"]["agent"]["id"] == agent_id and frames["updated"]["agent"]["statusSince"]
    assert frames["refused"]["code"] == "invalid_frame" and frames["refused"]["field"] == "status"
    assert stack.admin("GET", f"/admin/agents/{agent_id}").json()["status"] == "ready"


def test_an_agent_snapshot_restores_open_conversations_with_unread_counts(stack: Stack) -> None:
    team = make_team(stack, ["ready"])
    [agent_id] = team.agent_ids
    phone = new_phone()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        first = await connect(stack, token(stack, agentId=agent_id))
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "one")
        await first.wait_type("interaction.assigned")
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "two")
        await first.wait_for(lambda f: f.get("type") == "message.created" and f["message"]["body"] == "two")
        await first.close()  # the connection drops; a new one starts from the snapshot
        again = await connect(stack, token(stack, agentId=agent_id))
        await again.send(action="subscribe", topic="agent")
        snapshot = await again.wait_type("agent.snapshot")
        interaction_id = snapshot["interactions"][0]["id"]
        await again.send(action="markRead", interactionId=interaction_id)
        await again.wait_type("interaction.read")
        await again.send(action="subscribe", topic="agent")
        after = await again.wait_for(lambda f: f.get("type") == "agent.snapshot", after=len(again.frames))
        await again.close()
        return snapshot, after

    snapshot, after_read = run(scenario())
    [interaction] = snapshot["interactions"]
    assert interaction["phone"] == phone
    assert [message["body"] for message in interaction["messages"]] == ["one", "two"]
    assert interaction["unread"] == 2
    assert after_read["interactions"][0]["unread"] == 0
    assert snapshot["agent"]["id"] == agent_id and snapshot["agent"]["status"] == "ready"


def test_the_supervisor_gets_the_snapshot_then_updates_kept_by_the_fan_out(stack: Stack) -> None:
    team = make_team(stack, ["paused"], service_level_seconds=30)  # nobody ready: the SMS waits
    [agent_id] = team.agent_ids
    phone = new_phone()

    async def scenario() -> tuple[Client, dict[str, Any], Client]:
        supervisor = await connect(stack, token(stack, role="supervisor"))
        agent_client = await connect(stack, token(stack, agentId=agent_id))
        await supervisor.send(action="subscribe", topic="dashboard")
        snapshot = await supervisor.wait_type("dashboard.snapshot")
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "Anyone there?")
        await supervisor.wait_for(lambda f: _queue_of(f, team.queue_id, waiting=1))
        await agent_client.send(action="setStatus", status="ready")  # the waiter goes to the agent
        await supervisor.wait_for(lambda f: _queue_of(f, team.queue_id, waiting=0, answered=1))
        assigned = await agent_client.wait_type("interaction.assigned")
        await agent_client.send(action="closeInteraction", interactionId=assigned["interaction"]["id"])
        await supervisor.wait_for(lambda f: _queue_of(f, team.queue_id, open=0, answered=1))
        await supervisor.close()
        await agent_client.close()
        return supervisor, snapshot, agent_client

    supervisor, snapshot, _agent = run(scenario())
    queue = next(queue for queue in snapshot["queues"] if queue["id"] == team.queue_id)
    assert queue["agentIds"] == [agent_id] and queue["serviceLevelSeconds"] == 30
    assert (queue["waiting"], queue["open"]) == (0, 0)
    assert any(agent["id"] == agent_id for agent in snapshot["agents"])
    assert any(account["id"] == team.account_id for account in snapshot["accounts"])
    waiting = next(f for f in supervisor.frames if _queue_of(f, team.queue_id, waiting=1))
    counters = next(queue for queue in waiting["queues"] if queue["id"] == team.queue_id)
    assert counters["open"] == 1 and counters["oldestWaitingSince"]
    assert any(entry["body"] == "Anyone there?" for f in supervisor.frames for entry in f.get("feed", []))
    answered = next(f for f in supervisor.frames if _queue_of(f, team.queue_id, answered=1))
    assert next(q for q in answered["queues"] if q["id"] == team.queue_id)["answeredInTarget"] == 1
    # Supervisors get every frame too.
    assert {"interaction.created", "message.created", "interaction.assigned", "interaction.closed"} <= set(
        supervisor.types()
    )


def _queue_of(frame: dict[str, Any], queue_id: str, **expected: int) -> bool:
    if frame.get("type") != "dashboard.update":
        return False
    for queue in frame.get("queues", []):
        if queue["id"] == queue_id and all(queue.get(name) == value for name, value in expected.items()):
            return True
    return False


def test_a_gone_connection_is_removed_when_a_frame_finds_it_closed(stack: Stack) -> None:
    team = make_team(stack, ["ready"])
    [agent_id] = team.agent_ids
    table = stack_table(stack)
    stale = {
        "pk": {"S": f"AGENT#{agent_id}"},
        "sk": {"S": "CONNECTION#stale0000000001"},
        "entity": {"S": "connection"},
        "connectionId": {"S": "stale0000000001"},
        "role": {"S": "agent"},
        "agentId": {"S": agent_id},
        "expiresAt": {"N": str(int(time.time()) + 3600)},
    }
    table.put_item(TableName=TABLE_NAME, Item=stale)

    async def scenario() -> None:
        live = await connect(stack, token(stack, agentId=agent_id))
        await asyncio.to_thread(stack.post_twilio, team.account, new_phone(), "hello")
        await live.wait_type("message.created")
        await live.close()

    run(scenario())
    key = {"pk": stale["pk"], "sk": stale["sk"]}
    eventually(
        lambda: "Item" not in table.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True),
        timeout=10,
        interval=0.2,
        what="the stale connection removed after the GoneException",
    )


def outbox_bodies(stack: Stack, to: str) -> list[str]:
    response = stack.session.get(f"{stack.sandbox}/outbox", timeout=30)
    assert response.status_code == 200, response.text
    return [item["body"] for item in response.json()["items"] if item.get("to") == to]


LATER = "Anything else?"


def test_send_message_twice_with_one_client_message_id_sends_once(stack: Stack) -> None:
    team = make_team(stack, ["ready", "paused"])
    mine, other = team.agent_ids
    phone = new_phone()
    body = f"We are on it ({uuid.uuid4().hex[:6]})"

    async def scenario() -> tuple[Client, Client]:
        agent = await connect(stack, token(stack, agentId=mine))
        intruder = await connect(stack, token(stack, agentId=other))
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "Help!")
        interaction = (await agent.wait_type("interaction.assigned"))["interaction"]
        frame = {"action": "sendMessage", "interactionId": interaction["id"], "body": body, "clientMessageId": "c-1"}
        await agent.send(**frame)
        await agent.send(**frame)  # the retry of a send whose answer was lost
        await intruder.send(**{**frame, "clientMessageId": "c-2", "body": "not mine to send"})
        await intruder.wait_type("error", code="not_yours")
        first = await agent.wait_type("message.accepted")
        second = await agent.wait_for(
            lambda f: f.get("type") == "message.accepted", after=agent.frames.index(first) + 1
        )
        assert first["message"]["id"] == second["message"]["id"]
        await agent.wait_for(
            lambda f: (
                f.get("type") == "message.status"
                and f["messageId"] == first["message"]["id"]
                and f["status"] in ("sent", "delivered")
            )
        )
        # A later reply of the same interaction leaves through the same FIFO message group: once it is sent, a
        # second send of the first (a redelivery, a second enqueue) would have happened before it.
        await agent.send(action="sendMessage", interactionId=interaction["id"], body=LATER, clientMessageId="c-4")
        later = await agent.wait_for(
            lambda f: f.get("type") == "message.accepted" and f["message"]["body"] == LATER, timeout=20
        )
        await agent.wait_for(
            lambda f: (
                f.get("type") == "message.status"
                and f["messageId"] == later["message"]["id"]
                and f["status"] in ("sent", "delivered")
            ),
            timeout=30,
        )
        await agent.send(action="closeInteraction", interactionId=interaction["id"])
        await agent.wait_type("interaction.closed")
        await agent.send(action="sendMessage", interactionId=interaction["id"], body="late", clientMessageId="c-3")
        await agent.wait_type("error", action="sendMessage")
        await agent.close()
        await intruder.close()
        return agent, intruder

    agent, _intruder = run(scenario())
    assert outbox_bodies(stack, phone) == [body, LATER]
    accepted = next(f for f in agent.frames if f["type"] == "message.accepted")
    assert accepted["message"]["sender"] == f"agent:{mine}"
    assert accepted["message"]["clientMessageId"] == "c-1"
    assert accepted["message"]["encoding"] == "GSM-7" and accepted["message"]["segments"] == 1
    created = [f for f in agent.frames if f["type"] == "message.created" and f["message"]["direction"] == "out"]
    assert [f["message"]["id"] for f in created if f["message"]["body"] == body] == [accepted["message"]["id"]]
    late = next(f for f in agent.frames if f["type"] == "error" and f.get("action") == "sendMessage")
    assert late["code"] == "interaction_closed"
