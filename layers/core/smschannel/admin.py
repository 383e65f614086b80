"""Use cases of the admin API: configuration with validation, interactions, tokens; every change audited."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from smschannel import keys
from smschannel.audit import AuditTrail
from smschannel.canned_replies import CannedReplies
from smschannel.credentials import load_secret_credentials
from smschannel.errors import AiDisabled, InteractionClosed, InvalidConfiguration, NotFound
from smschannel.floor.admin import FloorAdmin, queue_members
from smschannel.models import (
    Account,
    AccountIn,
    Agent,
    AgentIn,
    CannedReply,
    CannedReplyIn,
    Contact,
    Interaction,
    Message,
    NoteIn,
    OptOut,
    Queue,
    QueueIn,
)
from smschannel.notes import Notes
from smschannel.outbound.service import OutboundService
from smschannel.phone import normalize_account_number, normalize_phone
from smschannel.providers import get_adapter
from smschannel.search import ConversationSearch, SearchPage, SearchQuery
from smschannel.segments import SegmentInfo
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.notes import NoteStore
from smschannel.stores.optouts import OptOutStore
from smschannel.stores.responses import CannedReplyStore
from smschannel.stores.search import SearchStore
from smschannel.stores.triggers import TriggerStore
from smschannel.tokens import issue_token
from smschannel.triggers.admin import TriggerAdmin

if TYPE_CHECKING:
    from smschannel.assist.summaries import SummaryRequests


class AdminService:
    def __init__(
        self,
        configuration: ConfigurationStore,
        contacts: ContactStore,
        interactions: InteractionStore,
        replies: OutboundService | None = None,
        audit: AuditTrail | None = None,
        *,
        ai_model_ids: Collection[str] | None = None,
        summaries: SummaryRequests | None = None,
    ) -> None:
        self.configuration = configuration
        # AI assist: the Bedrock models an account may choose (None: any), the summary queue (regenerate).
        self.ai_model_ids = ai_model_ids
        self.summaries = summaries
        self.audit = audit
        self.replies = replies
        self.contacts = contacts
        self.interactions = interactions
        self.optouts = OptOutStore(configuration.table)
        self.floor = FloorAdmin(configuration, interactions, audit, audit.actor if audit else None)
        self.conversations = ConversationSearch(SearchStore(configuration.table), configuration, contacts)
        self.notes = Notes(NoteStore(configuration.table), configuration, interactions)
        self.canned = CannedReplies(CannedReplyStore(configuration.table), configuration, contacts, interactions)
        self.triggers = TriggerAdmin(
            TriggerStore(configuration.table),
            account_exists=lambda account_id: configuration.get_account(account_id) is not None,
            queue_exists=lambda queue_id: configuration.get_queue(queue_id) is not None,
            agent_exists=lambda agent_id: configuration.get_agent(agent_id) is not None,
        )

    # --- accounts ------------------------------------------------------------------------------------------

    def put_account(self, account_id: str, body: AccountIn) -> tuple[Account, bool]:
        adapter = get_adapter(body.provider)
        available = dict(body.credentials)
        if body.credentials_secret:
            available = {**load_secret_credentials(body.credentials_secret), **available}
        missing = [name for name in adapter.required_credentials if not available.get(name)]
        if missing:
            raise InvalidConfiguration(
                f"provider {adapter.name} needs credentials.{missing[0]}", field=f"credentials.{missing[0]}"
            )
        try:
            phone_number = normalize_account_number(
                body.phone_number, body.default_region, body.options.alphanumeric_sender
            )
        except ValueError as exc:
            raise InvalidConfiguration(str(exc), field="phoneNumber") from exc
        if body.queue_id and self.configuration.get_queue(body.queue_id) is None:
            raise InvalidConfiguration(f"queue {body.queue_id!r} does not exist", field="queueId")
        model_id = body.options.ai.model_id
        if model_id and self.ai_model_ids is not None and model_id not in self.ai_model_ids:
            allowed = ", ".join(sorted(self.ai_model_ids))
            raise InvalidConfiguration(
                f"options.ai.modelId must be one of this deployment's models ({allowed})", field="options.ai.modelId"
            )
        account = Account(id=account_id, **{**body.model_dump(), "phone_number": phone_number})
        before = self.configuration.get_account(account_id)
        created = self.configuration.put_account(account)
        stored = self.configuration.get_account(account_id)
        assert stored is not None
        self._changed("account", f"account/{account_id}", before, stored)
        return stored, created

    def get_account(self, account_id: str) -> Account:
        return require_found(self.configuration.get_account(account_id), "account", account_id)

    def list_accounts(self) -> list[Account]:
        return self.configuration.list_accounts()

    def delete_account(self, account_id: str) -> None:
        before = self.configuration.get_account(account_id)
        require_deleted(self.configuration.delete_account(account_id), "account", account_id)
        self._changed("account", f"account/{account_id}", before, None)

    # --- queues and agents ---------------------------------------------------------------------------------

    def put_queue(self, queue_id: str, body: QueueIn) -> tuple[Queue, bool]:
        if body.overflow_queue_id == queue_id:
            raise InvalidConfiguration("a queue cannot overflow into itself", field="overflowQueueId")
        if body.overflow_queue_id and self.configuration.get_queue(body.overflow_queue_id) is None:
            raise InvalidConfiguration(f"queue {body.overflow_queue_id!r} does not exist", field="overflowQueueId")
        missing = [
            agent_id for agent_id in dict.fromkeys(body.agent_ids) if self.configuration.get_agent(agent_id) is None
        ]
        if missing:
            raise InvalidConfiguration(
                f"agent{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                f"{'do' if len(missing) > 1 else 'does'} not exist",
                field="agentIds",
            )
        members = queue_members(self.configuration, body.agent_ids, body.team_ids)
        before = self.configuration.get_queue(queue_id)
        created = self.configuration.put_queue(Queue(id=queue_id, member_ids=members, **body.model_dump()))
        stored = require_found(self.configuration.get_queue(queue_id), "queue", queue_id)
        self._changed("queue", f"queue/{queue_id}", before, stored)
        return stored, created

    def get_queue(self, queue_id: str) -> Queue:
        return require_found(self.configuration.get_queue(queue_id), "queue", queue_id)

    def list_queues(self) -> list[Queue]:
        return self.configuration.list_queues()

    def delete_queue(self, queue_id: str) -> None:
        before = self.configuration.get_queue(queue_id)
        require_deleted(self.configuration.delete_queue(queue_id), "queue", queue_id)
        self._changed("queue", f"queue/{queue_id}", before, None)

    def get_agent(self, agent_id: str) -> Agent:
        return require_found(self.configuration.get_agent(agent_id), "agent", agent_id)

    def list_agents(self) -> list[Agent]:
        return self.configuration.list_agents()

    def delete_agent(self, agent_id: str) -> None:
        before = self.configuration.get_agent(agent_id)
        require_deleted(self.configuration.delete_agent(agent_id), "agent", agent_id)
        self._changed("agent", f"agent/{agent_id}", before, None)

    def put_agent(self, agent_id: str, body: AgentIn) -> tuple[Agent, bool]:
        before = self.configuration.get_agent(agent_id)
        created = self.configuration.put_agent(Agent(id=agent_id, **body.model_dump()))
        stored = require_found(self.configuration.get_agent(agent_id), "agent", agent_id)
        self._changed("agent", f"agent/{agent_id}", before, stored)
        return stored, created

    # --- triggers ------------------------------------------------------------------------------------------

    def put_trigger(self, account_id: str, trigger_id: str, body: Any) -> tuple[Any, bool]:
        before = self.triggers.store.get_trigger(account_id, trigger_id)
        trigger, created = self.triggers.put(account_id, trigger_id, body)
        self._changed("trigger", f"account/{account_id}/trigger/{trigger_id}", before, trigger)
        return trigger, created

    def delete_trigger(self, account_id: str, trigger_id: str) -> None:
        before = self.triggers.store.get_trigger(account_id, trigger_id)
        self.triggers.delete(account_id, trigger_id)
        self._changed("trigger", f"account/{account_id}/trigger/{trigger_id}", before, None)

    # --- canned replies ------------------------------------------------------------------------------------

    def put_response(self, response_id: str, body: CannedReplyIn) -> tuple[CannedReply, bool]:
        before = self.canned.store.get(response_id)
        reply, created = self.canned.put(response_id, body)
        self._changed("response", f"response/{response_id}", before, reply)
        return reply, created

    def delete_response(self, response_id: str) -> None:
        before = self.canned.delete(response_id)
        self._changed("response", f"response/{response_id}", before, None)

    # --- contacts ------------------------------------------------------------------------------------------

    def get_contact(self, contact_id: str) -> Contact:
        return require_found(self.contacts.get_contact(contact_id), "contact", contact_id)

    def list_contacts(self, account_id: str, phone: str | None) -> list[Contact]:
        account = self.get_account(account_id)
        normalized = self._phone(phone, account) if phone else None
        return self.contacts.list_contacts(account_id, normalized)

    def put_contact(
        self, contact_id: str, fields: dict[str, Any], account_id: str | None, phone: str | None
    ) -> tuple[Contact, bool]:
        existing = self.contacts.get_contact(contact_id)
        if existing is None:
            if not account_id or not phone:
                raise InvalidConfiguration("a new contact needs accountId and phone", field="phone")
            account = self.get_account(account_id)
            normalized = self._phone(phone, account)
            expected_id = keys.contact_id(account_id, normalized)
            if contact_id != expected_id:
                raise InvalidConfiguration(
                    f"the contact of {normalized} on account {account_id} has id {expected_id}", field="id"
                )
            contact = Contact(id=contact_id, account_id=account_id, phone=normalized, **fields)
        else:
            contact = Contact.model_validate({**existing.model_dump(), **fields})
        created = self.contacts.put_contact(contact)
        stored = require_found(self.contacts.get_contact(contact_id), "contact", contact_id)
        self._changed("contact", f"contact/{contact_id}", existing, stored)
        return stored, created

    # --- interactions --------------------------------------------------------------------------------------

    def list_interactions(self, account_id: str | None, status: str | None, phone: str | None) -> list[Interaction]:
        if status not in (None, "open", "closed"):
            raise InvalidConfiguration("status must be open or closed", field="status")
        account_ids = [account_id] if account_id else [account.id for account in self.configuration.list_accounts()]
        found: list[Interaction] = []
        for each in account_ids:
            account = self.get_account(each)
            normalized = self._phone(phone, account) if phone else None
            found += self.interactions.list_interactions(each, status, normalized)
        return found

    def contact_history(self, contact_id: str) -> list[Interaction]:
        """`GET /admin/interactions?contactId=`: the contact's interactions, newest first."""
        return self.conversations.history(contact_id)

    def search(self, query: SearchQuery) -> SearchPage:
        """`GET /admin/search`: the account's interactions in [from, to] whose phone, name or text contains q."""
        return self.conversations.search(query)

    def get_interaction(self, interaction_id: str) -> dict[str, Any]:
        interaction = require_found(self.interactions.get_interaction(interaction_id), "interaction", interaction_id)
        data = self._with_contact_name(interaction)
        data["messages"] = [message.to_json_dict() for message in self.interactions.list_messages(interaction_id)]
        return data

    def close_interaction(self, interaction_id: str, disposition: str | None) -> dict[str, Any]:
        """A person's close: the queue's dispositions apply, and its wrap-up holds the agent's slot."""
        interaction = require_found(self.interactions.get_interaction(interaction_id), "interaction", interaction_id)
        if interaction.status != "open":
            raise InteractionClosed(f"interaction {interaction_id} is already closed")
        closed = self._with_contact_name(self.floor.close(interaction, disposition))
        if self.audit:
            changes = {"status": "closed", "disposition": closed.get("disposition")}
            self.audit.record("interaction.closed", f"interaction/{interaction_id}", None, changes)
        return closed

    def regenerate_summary(self, interaction_id: str) -> dict[str, Any]:
        """`POST /admin/interactions/{id}/summary`: a new summary asked of the assist function (202; it replaces the
        stored one when written). 409 `ai_disabled` when the account has summaries off."""
        from smschannel.assist.summaries import SummaryJob

        interaction = require_found(self.interactions.get_interaction(interaction_id), "interaction", interaction_id)
        account = self.configuration.get_account(interaction.account_id)
        if account is None or not account.options.ai.summaries:
            raise AiDisabled("summaries are off for this account (options.ai.summaries)", field="interactionId")
        if self.summaries is None:
            raise AiDisabled("this deployment has no summary queue (SUMMARY_QUEUE_URL)", field="interactionId")
        self.summaries.send([SummaryJob(interaction_id, "regenerated", force=True)])
        if self.audit:
            self.audit.record("interaction.summary_requested", f"interaction/{interaction_id}", None, {})
        current = interaction.summary.to_json_dict() if interaction.summary else None
        return {"interactionId": interaction_id, "status": "queued", "summary": current}

    def interaction_json(self, interaction: Interaction) -> dict[str, Any]:
        return self._with_contact_name(interaction)

    def _with_contact_name(self, interaction: Interaction) -> dict[str, Any]:
        data = interaction.to_json_dict()
        if interaction.contact_id and not interaction.contact_name:
            contact = self.contacts.get_contact(interaction.contact_id)
            data["contactName"] = contact.name if contact else None
        return data

    def add_note(self, interaction_id: str, note: NoteIn, author: str, agent_id: str | None) -> Message:
        """`POST /admin/interactions/{id}/notes`; `agent_id` when an agent writes it (its own interactions only)."""
        message, _ = self.notes.add(interaction_id, note, author, agent_id=agent_id)
        if self.audit:  # that a note was written and which, never its text
            self.audit.record("interaction.noted", f"interaction/{interaction_id}", None, {"messageId": message.id})
        return message

    # --- opt-outs ------------------------------------------------------------------------------------------

    def list_optouts(self, account_id: str) -> list[OptOut]:
        self.get_account(account_id)
        return self.optouts.list(account_id)

    def put_optout(self, account_id: str, phone: str, source: str | None) -> tuple[OptOut, bool]:
        """Opt a number out by hand (people also ask by phone or mail); idempotent."""
        account = self.get_account(account_id)
        normalized = self._phone(phone, account)
        created = self.optouts.opt_out(account_id, normalized, source or "admin")
        stored = require_found(self.optouts.get(account_id, normalized), "opt-out", normalized)
        if created and self.audit:
            resource = f"account/{account_id}/optout/{normalized}"
            self.audit.record("optout.created", resource, None, stored.to_json_dict())
        return stored, created

    def delete_optout(self, account_id: str, phone: str) -> None:
        account = self.get_account(account_id)
        normalized = self._phone(phone, account)
        require_deleted(self.optouts.opt_in(account_id, normalized, "admin"), "opt-out", normalized)
        if self.audit:
            self.audit.record("optout.deleted", f"account/{account_id}/optout/{normalized}")

    # --- replies -----------------------------------------------------------------------------------------------

    def reply(self, interaction_id: str, body: str, client_message_id: str, media: list[str]) -> Message:
        """`POST /admin/interactions/{id}/messages`: a reply sent as the admin, as an agent's sendMessage."""
        if self.replies is None:
            raise RuntimeError("AdminService built without the reply use case")
        message = self.replies.reply(interaction_id, body, client_message_id, media=media or None, sender="admin")
        if self.audit:  # that a reply was sent and which, never its text
            self.audit.record("interaction.replied", f"interaction/{interaction_id}", None, {"messageId": message.id})
        return message

    @staticmethod
    def preview(body: str) -> SegmentInfo:
        """`POST /admin/messages/preview`: encoding and segments of a body, without side effects."""
        return OutboundService.preview(body)

    # --- tokens --------------------------------------------------------------------------------------------

    def issue_token(
        self, signing_key: str, agent_id: str | None, role: str | None, supervisor_id: str | None = None
    ) -> str:
        if agent_id:
            require_found(self.configuration.get_agent(agent_id), "agent", agent_id)
            self._token_issued(f"agent/{agent_id}")
            return issue_token(signing_key, "agent", agent_id)
        if role == "supervisor":
            self._token_issued(f"supervisor/{supervisor_id}" if supervisor_id else "role/supervisor")
            return issue_token(signing_key, "supervisor", supervisor_id=supervisor_id)
        raise InvalidConfiguration('give "agentId" or "role": "supervisor"', field="agentId")

    # --- audit ---------------------------------------------------------------------------------------------

    def audit_entries(self, resource: str | None, actor: str | None, since: str | None) -> list[dict[str, Any]]:
        if self.audit is None:
            raise RuntimeError("AdminService built without the audit trail")
        return self.audit.entries(resource, actor, since)

    def break_glass_used(self, method: str, path: str) -> None:
        """Every request made with the static admin token is on the trail, reads included."""
        if self.audit:
            self.audit.record("breakglass.used", f"{method} {path}")

    def _token_issued(self, resource: str) -> None:
        if self.audit:
            self.audit.record("token.issued", resource)

    def _changed(self, kind: str, resource: str, before: Any, after: Any) -> None:
        """Audit a configuration change from the stored object before and after it (None: absent)."""
        if self.audit:
            self.audit.change_of(kind, resource, before, after)

    @staticmethod
    def _phone(phone: str, account: Account) -> str:
        try:
            return normalize_phone(phone, account.default_region)
        except ValueError as exc:
            raise InvalidConfiguration(str(exc), field="phone") from exc


def require_found[T](value: T | None, kind: str, identifier: str) -> T:
    """The value, or NotFound naming what is missing (404 at the edge)."""
    if value is None:
        raise NotFound(f"{kind} {identifier!r} not found")
    return value


def require_deleted(existed: bool, kind: str, identifier: str) -> None:
    """NotFound when there was nothing to delete (404 at the edge)."""
    if not existed:
        raise NotFound(f"{kind} {identifier!r} not found")
