"""Which table changes wake queue assignment, decided from a change's old and new images (no event shapes here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smschannel.models import Agent, AgentStatus, Interaction, InteractionStatus


@dataclass(frozen=True)
class RouteInteraction:
    """A new (or requeued) open interaction without an agent: assign it now or let it wait in its queue."""

    interaction: Interaction


@dataclass(frozen=True)
class AgentFreed:
    """An agent may have room again (closed an interaction, became ready, capacity raised): serve the waiters."""

    agent_id: str


@dataclass(frozen=True)
class AgentUnavailable:
    """An agent paused or went offline: requeue their open interactions where the queue asks for it."""

    agent_id: str


WakeUp = RouteInteraction | AgentFreed | AgentUnavailable

_Image = Mapping[str, Any] | None


def wakeups_of(event_name: str, old: _Image, new: _Image) -> list[WakeUp]:
    """Raises pydantic's ValidationError on an image that is not the entity it claims to be (a poison record)."""
    entity = (new or old or {}).get("entity")
    if event_name not in ("INSERT", "MODIFY") or new is None:
        return []
    if entity == "interaction":
        return _interaction_wakeups(event_name, old, new)
    if entity == "agent":
        return _agent_wakeups(old, new)
    return []


def _interaction_wakeups(event_name: str, old: _Image, new: Mapping[str, Any]) -> list[WakeUp]:
    after = Interaction.model_validate(new)
    before = Interaction.model_validate(old) if old else None
    if after.status == InteractionStatus.CLOSED:
        closed_now = before is not None and before.status == InteractionStatus.OPEN
        agent_id = after.agent_id or (before.agent_id if before else None)
        # In wrap-up the agent keeps the unit: routing wakes when the wrap-up finishes (the agent's change).
        return [AgentFreed(agent_id)] if closed_now and agent_id and not after.wrap_up_until else []
    # An agent who handed the interaction on (a transfer) has room again.
    freed: list[WakeUp] = (
        [AgentFreed(before.agent_id)]
        if before is not None and before.agent_id and before.agent_id != after.agent_id
        else []
    )
    if after.agent_id or not after.queue_id or after.bot:
        # A bot has the conversation: routing waits for its hand-off (smschannel.triggers).
        return freed
    if event_name == "INSERT":
        return [RouteInteraction(after)]
    # An open interaction that lost its agent (requeued, transferred to a queue) or changed queue (rerouted) is
    # routed again; a message joining a waiting interaction (only lastMessageAt changes) is not.
    assert before is not None
    if before.agent_id or before.queue_id != after.queue_id:
        return [RouteInteraction(after), *freed]
    return []


def _agent_wakeups(old: _Image, new: Mapping[str, Any]) -> list[WakeUp]:
    after = Agent.model_validate(new)
    before = Agent.model_validate(old) if old else None
    if after.status == AgentStatus.READY:
        # Ready again, capacity raised, or a wrap-up finished (its unit given back; a close or a transfer wakes
        # routing through the interaction's change).
        more_room = (
            before is None
            or before.status != AgentStatus.READY
            or after.capacity > before.capacity
            or len(after.wrap_ups) < len(before.wrap_ups)
        )
        return [AgentFreed(after.id)] if more_room and after.capacity > 0 else []
    if before is not None and before.status == AgentStatus.READY:
        return [AgentUnavailable(after.id)]
    return []
