"""Which table changes are trigger events, decided from a stream record's old and new images (no event shapes).

interaction INSERT → `interaction.created`; an interaction MODIFY that closes it → `interaction.closed`, that gives
it an agent → `interaction.assigned`, that flags a queue timeout (routing's `pendingEvent`) → `queue.timeout`;
a customer's message INSERT (direction `in`) → `message.received`. Outbound messages (agents, auto-replies, bots)
are never events: an auto-reply cannot set off another trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smschannel.models import Direction, Interaction, InteractionStatus, Message

_Image = Mapping[str, Any] | None


@dataclass(frozen=True)
class Occurrence:
    """One trigger event. `event_id` is the stream record's id: a redelivered record has the same one."""

    event_id: str
    event: str
    account_id: str
    interaction_id: str
    at: str  # when the change was written (stable across redeliveries)
    interaction: Interaction | None = None  # the interaction as the change left it (None: read it)
    message: Message | None = None


def occurrences_of(event_id: str, event_name: str, old: _Image, new: _Image, at: str) -> list[Occurrence]:
    if new is None or event_name not in ("INSERT", "MODIFY"):
        return []
    entity = new.get("entity")
    if entity == "interaction":
        return _interaction_events(event_id, event_name, old, new, at)
    if entity == "message" and event_name == "INSERT" and new.get("direction") == Direction.IN:
        message = Message.model_validate(new)
        return [Occurrence(event_id, "message.received", message.account_id, message.interaction_id, at, None, message)]
    return []


def _interaction_events(
    event_id: str, event_name: str, old: _Image, new: Mapping[str, Any], at: str
) -> list[Occurrence]:
    after = Interaction.model_validate(new)

    def occurrence(event: str) -> Occurrence:
        return Occurrence(event_id, event, after.account_id, after.id, at, after)

    if event_name == "INSERT":
        return [occurrence("interaction.created")] if after.status == InteractionStatus.OPEN else []
    before = old or {}
    found: list[Occurrence] = []
    if not before.get("agentId") and after.agent_id:
        found.append(occurrence("interaction.assigned"))
    if new.get("queueTimedOutAt") and not before.get("queueTimedOutAt") and new.get("pendingEvent") == "queue.timeout":
        found.append(occurrence("queue.timeout"))
    if before.get("status") == InteractionStatus.OPEN and after.status == InteractionStatus.CLOSED:
        found.append(occurrence("interaction.closed"))
    return found
