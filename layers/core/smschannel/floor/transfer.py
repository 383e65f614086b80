"""Transfer: an agent (or a supervisor) hands an open interaction to another agent or back to a queue, with a note.

The checks that need no write come first (a target that does not exist, oneself, a closed interaction); then one
transaction (smschannel.stores.floor) moves the interaction and the capacity together, and a refusal by the
receiving agent's condition is read back to say why: offline or paused (`agent_unavailable`) or full
(`agent_full`). The receiving agent is told by the fan-out (`interaction.assigned` with the whole conversation, and
`interaction.transferred` with the note); a queue transfer is routed by the domain consumer like an arrival.
"""

from __future__ import annotations

import uuid

from smschannel.dynamo import Contended, retry_on_conflict
from smschannel.errors import Conflict, InteractionClosed, InvalidConfiguration, NotFound, Unavailable
from smschannel.models import AgentStatus, Interaction, InteractionStatus, utc_now
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.floor import FloorStore, Transfer, TransferOutcome
from smschannel.stores.interactions import InteractionStore

NOTE_MAX = 1000
ATTEMPTS = 5


class TransferService:
    def __init__(self, configuration: ConfigurationStore, interactions: InteractionStore, floor: FloorStore) -> None:
        self.configuration = configuration
        self.interactions = interactions
        self.floor = floor

    def transfer(
        self,
        interaction_id: str,
        *,
        agent_id: str | None,
        queue_id: str | None,
        note: str | None,
        by: str,
        owner: str | None = None,
    ) -> Interaction:
        """Transfer to `agent_id` or `queue_id` (exactly one). `owner`: the agent who must hold it (an agent's own
        transfer); None lets a supervisor or an admin transfer whoever holds it, or a waiting one."""
        if bool(agent_id) == bool(queue_id):
            raise InvalidConfiguration("give agentId or queueId (one of them)", field="agentId")
        if note is not None and len(note) > NOTE_MAX:
            raise InvalidConfiguration(f"a transfer note has at most {NOTE_MAX} characters", field="note")
        if agent_id and self.configuration.get_agent(agent_id) is None:
            raise Unavailable(f"agent {agent_id!r} does not exist", code="unknown_agent", field="agentId")
        if queue_id and self.configuration.get_queue(queue_id) is None:
            raise Unavailable(f"queue {queue_id!r} does not exist", code="unknown_queue", field="queueId")
        note_id = "note-" + uuid.uuid4().hex[:24]

        def attempt() -> Interaction:
            interaction = self.interactions.get_interaction(interaction_id)
            if interaction is None:
                raise NotFound(f"interaction {interaction_id} not found", field="interactionId")
            if interaction.status != InteractionStatus.OPEN:
                raise InteractionClosed(f"interaction {interaction_id} is closed", field="interactionId")
            if owner is not None and interaction.agent_id != owner:
                raise Conflict(f"interaction {interaction_id} is no longer yours", field="interactionId")
            if interaction.bot:
                raise Conflict(f"interaction {interaction_id} is with a bot", field="interactionId")
            if agent_id and agent_id == interaction.agent_id:
                raise InvalidConfiguration("the interaction is already this agent's", field="agentId")
            if queue_id and queue_id == interaction.queue_id and not interaction.agent_id:
                raise InvalidConfiguration("the interaction is already waiting in this queue", field="queueId")
            transfer = Transfer(
                interaction=interaction,
                from_agent_id=interaction.agent_id,
                to_agent_id=agent_id,
                to_queue_id=queue_id,
                note=note or None,
                by=by,
                at=utc_now(),
                note_message_id=note_id,
            )
            outcome = self.floor.transfer(transfer)
            if outcome == TransferOutcome.DONE:
                done = self.interactions.get_interaction(interaction_id)
                assert done is not None
                return done
            if outcome == TransferOutcome.TARGET_UNAVAILABLE:
                raise self._why_unavailable(str(agent_id))
            raise Contended  # moved or contended meanwhile: read it again (it may be closed now, or someone else's)

        try:
            return retry_on_conflict(attempt, attempts=ATTEMPTS)
        except Contended as error:
            raise Conflict(f"could not transfer interaction {interaction_id} (contention)") from error

    def _why_unavailable(self, agent_id: str) -> Unavailable:
        agent = self.configuration.get_agent(agent_id)
        if agent is None:
            return Unavailable(f"agent {agent_id!r} does not exist", code="unknown_agent", field="agentId")
        if agent.status != AgentStatus.READY:
            return Unavailable(f"agent {agent_id} is {agent.status.value}", code="agent_unavailable", field="agentId")
        return Unavailable(
            f"agent {agent_id} is full ({agent.load} of {agent.capacity})", code="agent_full", field="agentId"
        )
