"""Which table changes are trigger events, decided from a stream record's old and new images (no event shapes).

interaction INSERT → `interaction.created`; an interaction MODIFY that closes it → `interaction.closed`, that gives
it an agent → `interaction.assigned`, that records a transfer → `interaction.transferred`, that flags a queue
timeout (routing's `pendingEvent`) → `queue.timeout`; a customer's message INSERT (direction `in`) →
`message.received`. Outbound messages (agents, auto-replies, bots) are never events: an auto-reply cannot set
off another trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smschannel.models import Direction, Interaction, InteractionStatus, Message
from smschannel.stream import StreamChange


@dataclass(frozen=True)
class Occurrence:
    """One trigger event. `event_id` is the stream record's id: a redelivered record has the same one."""

    event_id: str
    event: str
    account_id: str
    interaction_id: str
    at: str  # when the change was written (stable across redeliveries)
    position: str  # where in the stream (keys.stream_position): orders the trigger's runs
    interaction: Interaction | None = None  # the interaction as the change left it (None: read it)
    message: Message | None = None


def occurrences_of(change: StreamChange) -> list[Occurrence]:
    new = change.new
    if new is None or change.event_name not in ("INSERT", "MODIFY"):
        return []
    entity = new.get("entity")
    if entity == "interaction":
        return _interaction_events(change, new)
    if entity == "message" and change.event_name == "INSERT" and new.get("direction") == Direction.IN:
        message = Message.model_validate(new)
        return [
            Occurrence(
                change.event_id,
                "message.received",
                message.account_id,
                message.interaction_id,
                change.at,
                change.position,
                None,
                message,
            )
        ]
    return []


def _interaction_events(change: StreamChange, new: Mapping[str, Any]) -> list[Occurrence]:
    after = Interaction.model_validate(new)
    at, position = change.at, change.position

    def occurrence(event: str) -> Occurrence:
        return Occurrence(change.event_id, event, after.account_id, after.id, at, position, after)

    if change.event_name == "INSERT":
        return [occurrence("interaction.created")] if after.status == InteractionStatus.OPEN else []
    before = change.old or {}
    found: list[Occurrence] = []
    if not before.get("agentId") and after.agent_id:
        found.append(occurrence("interaction.assigned"))
    if new.get("queueTimedOutAt") and not before.get("queueTimedOutAt") and new.get("pendingEvent") == "queue.timeout":
        found.append(occurrence("queue.timeout"))
    if after.last_transfer and after.last_transfer != before.get("lastTransfer"):
        found.append(occurrence("interaction.transferred"))
    if before.get("status") == InteractionStatus.OPEN and after.status == InteractionStatus.CLOSED:
        found.append(occurrence("interaction.closed"))
    return found


def bot_held_interaction(change: StreamChange) -> Interaction | None:
    """An open interaction a bot holds, as a change to it left it (None for anything else)."""
    new = change.new
    if change.event_name != "MODIFY" or new is None or new.get("entity") != "interaction" or not new.get("bot"):
        return None
    interaction = Interaction.model_validate(new)
    return interaction if interaction.status == InteractionStatus.OPEN else None
