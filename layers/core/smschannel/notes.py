"""Private notes on an interaction (`POST /admin/interactions/{id}/notes`, WebSocket `addNote`): who may write
one, its `@agent` mentions, and its storage as a `direction: "note"` message that no provider ever sees.

Notes are allowed on closed interactions too (a supervisor annotates after the fact). An agent notes only the
interactions assigned to it; supervisors and admins any. The fan-out sends the note as `message.created` to the
assigned agent and the supervisors, and `note.mention` to each mentioned agent (smschannel.realtime.fanout).
"""

from __future__ import annotations

import re
import uuid

from smschannel.errors import DomainError, InvalidConfiguration, NotFound
from smschannel.models import Direction, Interaction, Message, MessageStatus, NoteIn, utc_now
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.notes import NoteStore

# `@agent-2` in the body: an agent id after an @ that does not follow a word character (so no e-mail address).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z0-9])")


MENTIONS_MAX = 20  # agents named by one note (explicit or @ in the body): each is one read


class NotYourInteraction(DomainError):
    """An agent noting an interaction assigned to someone else (or to no one): 403, an `error` frame."""

    status_code = 403
    code = "not_yours"


class Notes:
    def __init__(self, store: NoteStore, configuration: ConfigurationStore, interactions: InteractionStore) -> None:
        self.store = store
        self.configuration = configuration
        self.interactions = interactions

    def add(
        self,
        interaction_id: str,
        note: NoteIn,
        author: str,
        *,
        agent_id: str | None = None,
        client_message_id: str | None = None,
    ) -> tuple[Message, Interaction]:
        """Store the note; `agent_id` set means an agent writes it, who must be the interaction's agent. Returns the
        note and its interaction. A retry with the same `client_message_id` stores it once."""
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"interaction {interaction_id} not found", field="interactionId")
        if agent_id is not None and interaction.agent_id != agent_id:
            raise NotYourInteraction(f"interaction {interaction_id} is not assigned to you", field="interactionId")
        mentions = self.mentions_of(note)
        message = Message(
            id="note-" + uuid.uuid4().hex[:24],
            interaction_id=interaction_id,
            account_id=interaction.account_id,
            direction=Direction.NOTE,
            body=note.body,
            status=MessageStatus.RECEIVED,
            from_=author,
            to="",
            created_at=utc_now(),
            sender=author,
            mentions=mentions,
            client_message_id=client_message_id,
        )
        stored, _ = self.store.add(message)
        return stored, interaction

    def mentions_of(self, note: NoteIn) -> list[str]:
        """The explicit `mentions` (each must be an agent: 422 naming `mentions`), then the body's `@agent-id`s that
        name an agent (any other @word is text)."""
        explicit = list(dict.fromkeys(note.mentions))
        for agent_id in explicit:
            if self.configuration.get_agent(agent_id) is None:
                raise InvalidConfiguration(f"agent {agent_id!r} does not exist", field="mentions")
        named = [name for name in dict.fromkeys(_MENTION.findall(note.body)) if name not in explicit]
        found = [name for name in named[: max(0, MENTIONS_MAX - len(explicit))] if self.configuration.get_agent(name)]
        return explicit + found
