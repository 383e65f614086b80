"""The agents' floor on the deployed local stack, with real WebSocket clients: transfers racing each other and an
arrival, wrap-up released by its SQS timer, and a blocked number stored but never routed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.harness import Client, connect, make_team, new_phone, token


def run(scenario: Any) -> Any:
    return asyncio.run(scenario)


def agent_item(stack: Stack, agent_id: str) -> dict[str, Any]:
    return dict(stack.admin("GET", f"/admin/agents/{agent_id}").json())


def test_transfers_racing_each_other_and_an_arrival_never_give_two_agents_or_exceed_capacity(stack: Stack) -> None:
    team = make_team(stack, ["ready", "paused", "paused"])
    giver, *receivers = team.agent_ids
    for agent_id in receivers:  # one slot each: the race is for it
        assert stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": agent_id, "capacity": 1}).ok
    phone = new_phone()

    async def scenario() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        desk: Client = await connect(stack, token(stack, agentId=giver))
        await asyncio.to_thread(stack.post_twilio, team.account, phone, "help")
        assigned = await desk.wait_type("interaction.assigned", timeout=20)
        interaction_id = assigned["interaction"]["id"]
        for agent_id in receivers:
            body = {"name": agent_id, "capacity": 1, "status": "ready"}
            assert (await asyncio.to_thread(stack.admin, "PUT", f"/admin/agents/{agent_id}", json=body)).ok
        # Two transfers at once (desk and API) for the receivers' single slots, while a new customer arrives.
        path = f"/admin/interactions/{interaction_id}/transfer"
        results = await asyncio.gather(
            asyncio.to_thread(stack.admin, "POST", path, json={"agentId": receivers[0], "note": "a"}),
            asyncio.to_thread(stack.admin, "POST", path, json={"agentId": receivers[1], "note": "b"}),
            asyncio.to_thread(stack.post_twilio, team.account, new_phone(), "me too"),
        )
        await desk.wait_type("interaction.transferred", timeout=20)
        await desk.close()
        return [{"status": r.status_code, "body": r.json()} for r in results[:2]], {"id": interaction_id}

    answers, interaction = run(scenario())
    assert sorted(answer["status"] for answer in answers)[0] == 200, answers
    for answer in answers:
        assert answer["status"] in (200, 409, 422), answer
    holder = stack.admin("GET", f"/admin/interactions/{interaction['id']}").json()
    assert holder["agentId"] in receivers and holder["transfers"] == sum(a["status"] == 200 for a in answers)
    deadline = time.time() + 20
    while time.time() < deadline:  # the arrival settles on whoever had room (or waits)
        loads = {agent_id: agent_item(stack, agent_id)["load"] for agent_id in team.agent_ids}
        if all(load <= 1 for agent_id, load in loads.items() if agent_id in receivers):
            break
    assert all(agent_item(stack, agent_id)["load"] <= 1 for agent_id in receivers)
    notes = [m for m in holder["messages"] if m["direction"] == "note"]
    assert len(notes) == holder["transfers"]


def test_wrap_up_holds_the_slot_until_its_timer_then_the_waiting_customer_is_assigned(stack: Stack) -> None:
    team = make_team(stack, ["ready"])
    [agent_id] = team.agent_ids
    assert stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": agent_id, "capacity": 1, "status": "ready"}).ok
    queue = {"name": "Wrap", "agentIds": [agent_id], "dispositions": ["resolved"], "wrapUpSeconds": 3}
    assert stack.admin("PUT", f"/admin/queues/{team.queue_id}", json=queue).ok
    first, second = new_phone(), new_phone()

    async def scenario() -> dict[str, Any]:
        desk = await connect(stack, token(stack, agentId=agent_id))
        await asyncio.to_thread(stack.post_twilio, team.account, first, "first")
        assigned = await desk.wait_type("interaction.assigned", timeout=20)
        await desk.send(action="closeInteraction", interactionId=assigned["interaction"]["id"], disposition="resolved")
        closed = await desk.wait_type("interaction.closed", timeout=20)
        assert closed["interaction"]["wrapUpUntil"]
        mark = len(desk.frames)
        await asyncio.to_thread(stack.post_twilio, team.account, second, "second")
        # Held during the wrap-up: the second customer is assigned only after the timer gave the slot back.
        freed = await desk.wait_for(
            lambda f: f.get("type") == "agent.updated" and not f["agent"]["wrapUps"], timeout=30, after=mark
        )
        later = await desk.wait_type("interaction.assigned", timeout=20, after=mark)
        assert desk.frames.index(freed) < desk.frames.index(later)
        await desk.close()
        return dict(closed["interaction"])

    closed = run(scenario())
    done = stack.admin("GET", f"/admin/interactions/{closed['id']}").json()
    assert done.get("wrapUpExpired") is True and done["wrapUpSeconds"] == 3 and not done.get("wrapUpUntil"), done


def test_a_blocked_number_is_stored_but_never_routed(stack: Stack) -> None:
    team = make_team(stack, ["ready"])
    [agent_id] = team.agent_ids
    blocked, other = new_phone(), new_phone()
    assert stack.admin("PUT", f"/admin/accounts/{team.account_id}/blocked/{blocked}", json={"reason": "abuse"}).ok

    async def scenario() -> list[str]:
        desk = await connect(stack, token(stack, agentId=agent_id))
        await asyncio.to_thread(stack.post_twilio, team.account, blocked, "spam spam")
        await asyncio.to_thread(stack.post_twilio, team.account, other, "a real question")
        # The later customer's assignment comes after the blocked one was screened (same account, in order).
        await desk.wait_type("interaction.assigned", timeout=20)
        await desk.close()
        return [
            str(frame["interaction"]["phone"]) for frame in desk.frames if frame.get("type") == "interaction.assigned"
        ]

    assert run(scenario()) == [other]
    [stored] = stack.interactions(team.account_id, phone=blocked)
    assert (stored["status"], stored["disposition"], stored.get("agentId")) == ("closed", "blocked", None)
    detail = stack.admin("GET", f"/admin/interactions/{stored['id']}").json()
    assert [m["body"] for m in detail["messages"]] == ["spam spam"]


def test_a_supervisor_scoped_to_a_team_sees_its_conversations_and_not_the_others(stack: Stack) -> None:
    """Through the real $connect authorizer: the link's supervisorId reaches the connection, the snapshot and the
    fan-out narrow to the teams naming it; a message of another team never reaches it, a later one of its own does."""
    ours, theirs = make_team(stack, ["ready"]), make_team(stack, ["ready"])
    supervisor = f"sup-{ours.queue_id[-6:]}"
    team_id = f"team-{ours.queue_id[-6:]}"
    team = {"name": "Ours", "agentIds": ours.agent_ids, "supervisorIds": [supervisor]}
    assert stack.admin("PUT", f"/admin/teams/{team_id}", json=team).ok
    queue = {"name": "Ours", "agentIds": [], "teamIds": [team_id]}
    assert stack.admin("PUT", f"/admin/queues/{ours.queue_id}", json=queue).ok

    async def scenario() -> tuple[Client, dict[str, Any]]:
        board = await connect(stack, token(stack, role="supervisor", supervisorId=supervisor))
        whole = await connect(stack, token(stack, role="supervisor"))  # the whole center, in the same flushes
        for each in (board, whole):
            await each.send(action="subscribe", topic="dashboard")
        snapshot = await board.wait_type("dashboard.snapshot", timeout=20)
        await whole.wait_type("dashboard.snapshot", timeout=20)
        await asyncio.to_thread(stack.post_twilio, theirs.account, new_phone(), "not for this supervisor")
        await asyncio.to_thread(stack.post_twilio, ours.account, new_phone(), "for this supervisor")

        def fed(body: str) -> Callable[[dict[str, Any]], bool]:
            return lambda frame: any(entry.get("body") == body for entry in frame.get("feed", []))

        await board.wait_for(fed("for this supervisor"), timeout=20)
        # The other team's message was fanned out (the whole center got it): to every supervisor it was going to.
        await whole.wait_for(fed("not for this supervisor"), timeout=20)
        await whole.wait_for(fed("for this supervisor"), timeout=20)
        for each in (board, whole):
            await each.close()
        return board, snapshot

    board, snapshot = run(scenario())
    assert snapshot["scope"] == {"teamIds": [team_id]}
    assert [queue["id"] for queue in snapshot["queues"]] == [ours.queue_id]
    assert sorted(agent["id"] for agent in snapshot["agents"]) == sorted(ours.agent_ids)
    bodies = {entry.get("body") for frame in board.frames for entry in frame.get("feed", [])}
    bodies |= {frame["message"].get("body") for frame in board.frames if frame.get("type") == "message.created"}
    assert "not for this supervisor" not in bodies
