"""Canned replies (`/admin/responses`): saved with their placeholders checked, listed for an interaction's account
and queue, and rendered for one interaction by the one template engine (smschannel.templates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from smschannel.errors import InvalidConfiguration, NotFound
from smschannel.models import CannedReply, CannedReplyIn, Interaction
from smschannel.segments import measure
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.responses import CannedReplyStore
from smschannel.templates import CANNED_PLACEHOLDERS, check_template, context_values, render


class CannedReplies:
    def __init__(
        self,
        store: CannedReplyStore,
        configuration: ConfigurationStore,
        contacts: ContactStore,
        interactions: InteractionStore,
    ) -> None:
        self.store = store
        self.configuration = configuration
        self.contacts = contacts
        self.interactions = interactions

    def put(self, response_id: str, body: CannedReplyIn) -> tuple[CannedReply, bool]:
        check_template(body.text, CANNED_PLACEHOLDERS, "text")
        if body.account_id and self.configuration.get_account(body.account_id) is None:
            raise InvalidConfiguration(f"account {body.account_id!r} does not exist", field="accountId")
        if body.queue_id and self.configuration.get_queue(body.queue_id) is None:
            raise InvalidConfiguration(f"queue {body.queue_id!r} does not exist", field="queueId")
        # One `/shortcut` per scope, so the picker's exact match is one reply. Checked against the list at save
        # time: two concurrent saves of the same new shortcut may both pass (admins configuring, not a hot path).
        clash = next(
            (
                other
                for other in self.store.list()
                if other.id != response_id
                and other.shortcut.lower() == body.shortcut.lower()
                and (other.account_id, other.queue_id) == (body.account_id, body.queue_id)
            ),
            None,
        )
        if clash is not None:
            raise InvalidConfiguration(
                f"shortcut {body.shortcut!r} is already response {clash.id!r} in the same scope", field="shortcut"
            )
        created = self.store.put(CannedReply(id=response_id, **body.model_dump()))
        stored = self.store.get(response_id)
        assert stored is not None
        return stored, created

    def get(self, response_id: str) -> CannedReply:
        found = self.store.get(response_id)
        if found is None:
            raise NotFound(f"response {response_id!r} not found")
        return found

    def list(self, account_id: str | None, queue_id: str | None) -> list[CannedReply]:
        """Every reply, or with a filter those usable there (a reply without that scope is usable everywhere)."""
        replies = self.store.list()
        if account_id is not None:
            replies = [reply for reply in replies if reply.account_id in (None, account_id)]
        if queue_id is not None:
            replies = [reply for reply in replies if reply.queue_id in (None, queue_id)]
        return replies

    def delete(self, response_id: str) -> CannedReply:
        before = self.get(response_id)
        if not self.store.delete(response_id):
            raise NotFound(f"response {response_id!r} not found")
        return before

    def render(self, response_id: str, interaction_id: str, agent_id: str | None) -> dict[str, Any]:
        """The reply's text filled for one interaction, with the encoding and segments of the filled text.
        `{{agent.name}}` is the acting agent's name (`agent_id`), else the interaction's assigned agent's."""
        reply = self.get(response_id)
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"interaction {interaction_id!r} not found", field="interactionId")
        if not reply.applies_to(interaction.account_id, interaction.queue_id):
            scope = f"account {reply.account_id}" if reply.account_id else f"queue {reply.queue_id}"
            raise InvalidConfiguration(
                f"response {response_id!r} is for {scope}, not this interaction's", field="interactionId"
            )
        text = render(reply.text, self._values(interaction, agent_id or interaction.agent_id))
        info = measure(text).to_json_dict()
        return {"id": reply.id, "interactionId": interaction_id, "text": text, **info}

    def fill_all(self, replies: Sequence[CannedReply], interaction: Interaction, agent_id: str | None) -> Sequence[str]:
        """Each reply's text filled for one interaction (AI assist's examples), the values read once."""
        values = self._values(interaction, agent_id or interaction.agent_id)
        return [render(reply.text, values) for reply in replies]

    def _values(self, interaction: Interaction, agent_id: str | None) -> Any:
        account = self.configuration.get_account(interaction.account_id)

        def contact_name() -> str | None:
            if interaction.contact_name or not interaction.contact_id:
                return interaction.contact_name
            contact = self.contacts.get_contact(interaction.contact_id)
            return contact.name if contact else None

        def agent_name() -> str | None:
            agent = self.configuration.get_agent(agent_id) if agent_id else None
            return agent.name if agent else None

        return context_values(
            interaction.id, interaction.phone, account.name if account else "", contact_name, agent_name
        )
