"""Which table changes wake queue assignment (from old/new images)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from smschannel.routing.wakeups import AgentFreed, AgentUnavailable, RouteInteraction, wakeups_of


def interaction(**fields: Any) -> dict[str, Any]:
    return {
        "entity": "interaction",
        "id": "int-1",
        "accountId": "acc",
        "phone": "+15550001",
        "status": "open",
        "queueId": "support",
        "createdAt": "2024-01-01T00:00:00.000Z",
        **fields,
    }


def agent(**fields: Any) -> dict[str, Any]:
    return {"entity": "agent", "id": "agent-1", "name": "A", "capacity": 3, "status": "ready", "load": 0, **fields}


def test_a_new_open_interaction_without_agent_is_routed() -> None:
    [wakeup] = wakeups_of("INSERT", None, interaction())
    assert isinstance(wakeup, RouteInteraction) and wakeup.interaction.id == "int-1"


def test_a_message_joining_a_waiting_interaction_does_not_wake_routing() -> None:
    old = interaction(messageCount=1)
    assert wakeups_of("MODIFY", old, interaction(messageCount=2, lastMessageAt="2024-01-01T00:00:05.000Z")) == []


def test_closing_an_assigned_interaction_frees_its_agent() -> None:
    old = interaction(agentId="agent-1")
    assert wakeups_of("MODIFY", old, interaction(agentId="agent-1", status="closed")) == [AgentFreed("agent-1")]
    assert wakeups_of("MODIFY", interaction(), interaction(status="closed")) == []


def test_requeued_or_rerouted_interactions_are_routed_again() -> None:
    assert isinstance(wakeups_of("MODIFY", interaction(agentId="a"), interaction())[0], RouteInteraction)
    assert isinstance(wakeups_of("MODIFY", interaction(), interaction(queueId="sales"))[0], RouteInteraction)


def test_agent_becoming_ready_or_gaining_capacity_frees_room_and_pausing_makes_it_unavailable() -> None:
    assert wakeups_of("MODIFY", agent(status="paused"), agent()) == [AgentFreed("agent-1")]
    assert wakeups_of("MODIFY", agent(capacity=2), agent(capacity=3)) == [AgentFreed("agent-1")]
    assert wakeups_of("INSERT", None, agent()) == [AgentFreed("agent-1")]
    assert wakeups_of("MODIFY", agent(), agent(load=1)) == []  # its own assignment
    assert wakeups_of("MODIFY", agent(), agent(status="offline")) == [AgentUnavailable("agent-1")]
    assert wakeups_of("MODIFY", agent(status="paused"), agent(status="offline")) == []


def test_other_entities_and_removals_are_ignored() -> None:
    assert wakeups_of("INSERT", None, {"entity": "message", "id": "m"}) == []
    assert wakeups_of("REMOVE", agent(), None) == []


def test_an_image_that_is_not_what_it_claims_raises_so_the_batch_reports_it() -> None:
    with pytest.raises(ValidationError):
        wakeups_of("INSERT", None, {"entity": "interaction", "id": "broken"})
