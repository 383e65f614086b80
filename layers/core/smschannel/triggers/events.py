"""Which table changes are trigger events, decided from a stream record's old and new images (no event shapes).

interaction INSERT → `interaction.created`; an interaction MODIFY that closes it → `interaction.closed`, that gives
it an agent → `interaction.assigned`, that flags a queue timeout (routing's `pendingEvent`) → `queue.timeout`;
a customer's message INSERT (direction `in`) → `message.received`. Outbound messages (agents, auto-replies, bots)
are never events: an auto-reply cannot set off another trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from smschannel import keys
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
    position: str  # where in the stream (keys.stream_position): orders the trigger's runs
    interaction: Interaction | None = None  # the interaction as the change left it (None: read it)
    message: Message | None = None


@dataclass(frozen=True)
class Change:
    """One stream record, as the domain sees it: ids, images, and when and where in the stream it was written."""

    event_id: str
    event_name: str
    old: _Image
    new: _Image
    written_at: float | None = None  # epoch seconds (ApproximateCreationDateTime)
    sequence_number: str = ""

    @property
    def at(self) -> str:
        # The record's write time is the same on every redelivery: it keys the trigger's run.
        moment = datetime.fromtimestamp(self.written_at, UTC) if self.written_at else datetime.now(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def position(self) -> str:
        return keys.stream_position(self.at, self.sequence_number)


def occurrences_of(change: Change) -> list[Occurrence]:
    new = change.new
    if new is None or change.event_name not in ("INSERT", "MODIFY"):
        return []
    entity = new.get("entity")
    if entity == "interaction":
        return _interaction_events(change, new)
    if entity == "message" and change.event_name == "INSERT" and new.get("direction") == Direction.IN:
        message = Message.model_validate(plain(new))
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


def _interaction_events(change: Change, new: Mapping[str, Any]) -> list[Occurrence]:
    after = Interaction.model_validate(plain(new))
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
    if before.get("status") == InteractionStatus.OPEN and after.status == InteractionStatus.CLOSED:
        found.append(occurrence("interaction.closed"))
    return found


def bot_held_interaction(change: Change) -> Interaction | None:
    """An open interaction a bot holds, as a change to it left it (None for anything else)."""
    new = change.new
    if change.event_name != "MODIFY" or new is None or new.get("entity") != "interaction" or not new.get("bot"):
        return None
    interaction = Interaction.model_validate(plain(new))
    return interaction if interaction.status == InteractionStatus.OPEN else None


def plain(value: Any) -> Any:
    """A stream image's numbers as int/float (the images carry Decimal), so they read and serialize as numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(item) for item in value]
    return value
