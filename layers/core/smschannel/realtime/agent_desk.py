"""The actions agents and supervisors take on the WebSocket, each authorized, and the snapshots they start from."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smschannel import keys
from smschannel.audit import AuditTrail
from smschannel.canned_replies import CannedReplies
from smschannel.dynamo import Table
from smschannel.errors import InteractionClosed, InvalidConfiguration, NotFound
from smschannel.floor.scope import Scope, scope_of
from smschannel.floor.transfer import TransferService
from smschannel.floor.wrapup import WrapUpService
from smschannel.models import Contact, Direction, Interaction, NoteIn, Queue, Team, utc_now
from smschannel.notes import Notes
from smschannel.principal import Principal
from smschannel.realtime import frames
from smschannel.realtime.fanout import public_agent
from smschannel.realtime.frames import (
    Action,
    AddNote,
    BlockNumber,
    CloseInteraction,
    Forbidden,
    GetHistory,
    GetInteraction,
    GetTargets,
    ListResponses,
    MarkRead,
    NotYours,
    RenderResponse,
    SendMessage,
    SetStatus,
    SubmitWrapUp,
    Subscribe,
    SuggestReplies,
    Transfer,
    UpdateContact,
)
from smschannel.realtime.tiles import QueueTiles, empty_tiles
from smschannel.search import ConversationSearch
from smschannel.stores.audit import AuditStore
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.connections import ConnectionStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.dashboard import DashboardStore
from smschannel.stores.floor import FloorStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.notes import NoteStore
from smschannel.stores.responses import CannedReplyStore
from smschannel.stores.routing import RoutingIndex
from smschannel.stores.search import SearchStore
from smschannel.stores.tiles import TileStore

if TYPE_CHECKING:
    from smschannel.assist.suggestions import SuggestionService
    from smschannel.outbound.service import OutboundService

Frame = dict[str, Any]
HISTORY_SHOWN = 10


class AgentDesk:
    def __init__(
        self,
        table: Table,
        configuration: ConfigurationStore,
        interactions: InteractionStore,
        connections: ConnectionStore,
        dashboard: DashboardStore,
        *,
        replies: Callable[[], OutboundService],
        audit_ttl_days: int = 400,
        suggestions: Callable[[AgentDesk], SuggestionService] | None = None,
    ) -> None:
        self.configuration = configuration
        self.audit = AuditStore(table, audit_ttl_days)
        self.interactions = interactions
        self._replies_factory = replies
        self._replies: OutboundService | None = None
        self._suggestions_factory = suggestions
        self._suggestions: SuggestionService | None = None
        self.connections = connections
        self.dashboard = dashboard
        self.routing = RoutingIndex(table)
        floor = FloorStore(table)
        self.transfers = TransferService(configuration, interactions, floor)
        self.wrap_up = WrapUpService(configuration, interactions, floor)
        self.notes = Notes(NoteStore(table), configuration, interactions)
        self.canned = CannedReplies(CannedReplyStore(table), configuration, ContactStore(table), interactions)
        self.contacts = ContactStore(table)
        self.tiles = TileStore(table)
        self.conversations = ConversationSearch(SearchStore(table), configuration, self.contacts)

    # --- connections -------------------------------------------------------------------------------------------

    def connect(self, connection_id: str, principal: Principal) -> None:
        if principal.agent_id and self.configuration.get_agent(principal.agent_id) is None:
            raise Forbidden(f"agent {principal.agent_id!r} does not exist")
        self.connections.add(connection_id, principal)

    def disconnect(self, connection_id: str, principal: Principal) -> None:
        self.connections.remove(connection_id, principal)

    # --- actions -----------------------------------------------------------------------------------------------

    def act(self, connection_id: str, principal: Principal, action: Action) -> list[Frame]:
        """The frames answering the acting connection; DomainError for a refused action (an `error` frame)."""
        match action:
            case Subscribe(topic="dashboard"):
                return [self.subscribe_dashboard(connection_id, principal)]
            case Subscribe():
                return [self.agent_snapshot(principal)]
            case GetInteraction():
                return [self.interaction_detail(principal, action.interaction_id, connection_id)]
            case CloseInteraction():
                self.close(principal, action)
                return []  # interaction.closed reaches every connection of the agent through the stream
            case SetStatus():
                self.set_status(principal, action)
                return []  # agent.updated, likewise
            case MarkRead():
                return [self.mark_read(principal, action.interaction_id)]
            case SendMessage():
                return [self.send_message(principal, action)]
            case Transfer():
                self.transfer(principal, action)
                return []  # interaction.transferred reaches both agents (and supervisors) through the stream
            case SubmitWrapUp():
                self.submit_wrap_up(principal, action)
                return []  # interaction.updated and agent.updated, likewise
            case GetTargets():
                return [self.targets()]
            case GetHistory():
                return [self.history(principal, action.interaction_id)]
            case UpdateContact():
                return [self.update_contact(principal, action)]
            case BlockNumber():
                return [self.block_number(principal, action)]
            case AddNote():
                return [self.add_note(principal, action)]
            case ListResponses():
                interaction = self._owned(principal, action.interaction_id, open_only=False)
                usable = self.canned.list(interaction.account_id, interaction.queue_id or "")
                listed = [reply.to_json_dict() for reply in usable]
                return [{"type": "responses.list", "interactionId": interaction.id, "items": listed}]
            case RenderResponse():
                self._owned(principal, action.interaction_id, open_only=False)
                filled = self.canned.render(action.response_id, action.interaction_id, principal.agent_id)
                return [{"type": "response.rendered", **filled}]
            case SuggestReplies():
                interaction = self._owned(principal, action.interaction_id, open_only=True)
                return [self.suggestions().suggest(interaction, principal.agent_id)]
        raise frames.InvalidFrame("unknown action", field="action")  # pragma: no cover - the union is closed

    def _owned(self, principal: Principal, interaction_id: str, *, open_only: bool) -> Interaction:
        """The interaction if this principal may act on it (supervisors: any; agents: their own)."""
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"interaction {interaction_id} not found", field="interactionId")
        if not principal.is_supervisor and interaction.agent_id != principal.agent_id:
            # Same answer whether it is someone else's or nobody's: nothing about other agents' work leaks.
            raise NotYours(f"interaction {interaction_id} is not assigned to you", field="interactionId")
        scope = self.scope(principal)
        if scope is not None and not scope.covers(interaction.queue_id, interaction.agent_id):
            raise NotYours(f"interaction {interaction_id} is not of your teams", field="interactionId")
        if open_only and interaction.status != "open":
            raise InteractionClosed(f"interaction {interaction_id} is closed", field="interactionId")
        return interaction

    def close(self, principal: Principal, action: CloseInteraction) -> Interaction:
        interaction = self._owned(principal, action.interaction_id, open_only=True)
        return self.wrap_up.close(interaction, action.disposition)

    def transfer(self, principal: Principal, action: Transfer) -> Interaction:
        interaction = self._owned(principal, action.interaction_id, open_only=True)
        return self.transfers.transfer(
            interaction.id,
            agent_id=action.agent_id,
            queue_id=action.queue_id,
            note=action.note,
            by=principal.actor,
            owner=None if principal.is_supervisor else principal.agent_id,
        )

    def submit_wrap_up(self, principal: Principal, action: SubmitWrapUp) -> Interaction:
        self._owned(principal, action.interaction_id, open_only=False)
        return self.wrap_up.submit(
            action.interaction_id,
            action.disposition,
            action.notes,
            owner=None if principal.is_supervisor else principal.agent_id,
        )

    def history(self, principal: Principal, interaction_id: str) -> Frame:
        """`contact.history`: the contact (name, tags) and its other interactions of the account, newest first, each
        with its messages (the desk opens them read-only); at most HISTORY_SHOWN."""
        interaction = self._owned(principal, interaction_id, open_only=False)
        contact = self.contacts.get_contact(interaction.contact_id) if interaction.contact_id else None
        previous = []
        if contact is not None:
            earlier = [each for each in self.conversations.history(contact.id) if each.id != interaction_id]
            for each in earlier[:HISTORY_SHOWN]:
                data = each.to_json_dict()
                data["messages"] = [message.to_json_dict() for message in self.interactions.list_messages(each.id)]
                previous.append(data)
        return {
            "type": "contact.history",
            "interactionId": interaction_id,
            "contact": contact.to_json_dict() if contact else None,
            "interactions": previous,
        }

    def update_contact(self, principal: Principal, action: UpdateContact) -> Frame:
        """`contact.updated {interactionId, contact}`: the interaction's contact with the name or tags given (made
        when the customer had none yet); audited as the acting agent's change."""
        interaction = self._owned(principal, action.interaction_id, open_only=False)
        fields: set[str] = {field for field in ("name", "tags") if field in action.model_fields_set}
        if not fields:
            raise InvalidConfiguration("give the contact's name or tags", field="name")
        contact_id = interaction.contact_id or keys.contact_id(interaction.account_id, interaction.phone)
        before = self.contacts.get_contact(contact_id)
        edited = {"name": action.name, "tags": action.tags or []}
        base = before or Contact(id=contact_id, account_id=interaction.account_id, phone=interaction.phone)
        contact = base.model_copy(update={**{field: edited[field] for field in fields}, "updated_at": utc_now()})
        self.contacts.edit_contact(contact, fields)
        stored = self.contacts.get_contact(contact_id) or contact
        AuditTrail(self.audit, lambda: principal.actor).change_of("contact", f"contact/{contact_id}", before, stored)
        return {"type": "contact.updated", "interactionId": interaction.id, "contact": stored.to_json_dict()}

    def block_number(self, principal: Principal, action: BlockNumber) -> Frame:
        """`number.blocked {interactionId, blocked}`: a supervisor's action, as `PUT /admin/accounts/{id}/blocked/
        {phone}` does it (the open interaction closes with disposition `blocked`), audited as the supervisor's."""
        if not principal.is_supervisor:
            raise Forbidden("only a supervisor blocks a number")
        interaction = self._owned(principal, action.interaction_id, open_only=False)
        account = self.configuration.get_account(interaction.account_id)
        if account is None:
            raise NotFound(f"account {interaction.account_id} not found", field="interactionId")
        from smschannel.floor.admin import FloorAdmin  # phone parsing, loaded by the first block only

        floor = FloorAdmin(
            self.configuration,
            self.interactions,
            AuditTrail(self.audit, lambda: principal.actor),
            lambda: principal.actor,
        )
        blocked, _ = floor.block(account, interaction.phone, action.reason)
        return {"type": "number.blocked", "interactionId": interaction.id, "blocked": blocked.to_json_dict()}

    def targets(self) -> Frame:
        agents = [public_agent(agent.to_json_dict()) for agent in self.configuration.list_agents()]
        queues = [{"id": queue.id, "name": queue.name} for queue in self.configuration.list_queues()]
        return {"type": "transfer.targets", "agents": agents, "queues": queues}

    def set_status(self, principal: Principal, action: SetStatus) -> None:
        if not principal.agent_id:
            raise Forbidden("only an agent has a status")
        if action.status == "paused" and action.reason:
            reasons = self.configuration.get_settings().pause_reasons
            if action.reason not in reasons:
                raise InvalidConfiguration(f"reason must be one of {reasons}", field="reason")
        reason = action.reason if action.status == "paused" else None
        if not self.configuration.set_agent_status(principal.agent_id, action.status, reason, utc_now()):
            raise NotFound(f"agent {principal.agent_id} not found")

    def mark_read(self, principal: Principal, interaction_id: str) -> Frame:
        self._owned(principal, interaction_id, open_only=False)
        now = utc_now()
        if principal.agent_id:
            self.interactions.mark_read(interaction_id, principal.agent_id, now)
        return {"type": "interaction.read", "interactionId": interaction_id, "readAt": now}

    def replies(self) -> OutboundService:
        """The outbound domain's reply use case, built on the first reply (only the replying path needs it)."""
        if self._replies is None:
            self._replies = self._replies_factory()
        return self._replies

    def suggestions(self) -> SuggestionService:
        """AI assist's suggested replies, built on the first `suggestReplies` (no Bedrock client at cold start)."""
        if self._suggestions is None:
            if self._suggestions_factory is None:
                raise Forbidden("suggested replies are not configured in this deployment")
            self._suggestions = self._suggestions_factory(self)
        return self._suggestions

    def send_message(self, principal: Principal, action: SendMessage) -> Frame:
        if not principal.agent_id:
            raise Forbidden("supervisors do not reply on the WebSocket (use the admin API)")
        self._owned(principal, action.interaction_id, open_only=True)
        message = self.replies().reply(
            action.interaction_id,
            action.body,
            action.client_message_id,
            media=action.media,
            sender=f"agent:{principal.agent_id}",
        )
        return {
            "type": "message.accepted",
            "interactionId": action.interaction_id,
            "clientMessageId": action.client_message_id,
            "message": message.to_json_dict(),
        }

    def add_note(self, principal: Principal, action: AddNote) -> Frame:
        """The note stored; `note.added` answers the acting connection (message.created reaches the interaction's
        agent and the supervisors through the stream, note.mention each mentioned agent)."""
        note = NoteIn(body=action.body, mentions=action.mentions)
        message, _ = self.notes.add(
            action.interaction_id,
            note,
            principal.actor,
            agent_id=None if principal.is_supervisor else principal.agent_id or "",
            client_message_id=action.client_message_id,
        )
        return {
            "type": "note.added",
            "interactionId": action.interaction_id,
            "clientMessageId": action.client_message_id,
            "message": message.to_json_dict(),
        }

    # --- snapshots ---------------------------------------------------------------------------------------------

    def interaction_detail(self, principal: Principal, interaction_id: str, connection_id: str | None = None) -> Frame:
        """The conversation; a supervisor's connection is noted as watching it, so the fan-out sends it that
        conversation's own frames (message.created, message.status, ...) beside the coalesced dashboard.update."""
        interaction = self._owned(principal, interaction_id, open_only=False)
        if principal.is_supervisor and connection_id:
            self.connections.watch(connection_id, interaction_id)
        messages = [message.to_json_dict() for message in self.interactions.list_messages(interaction_id)]
        return {"type": "interaction.detail", "interaction": interaction.to_json_dict(), "messages": messages}

    def agent_snapshot(self, principal: Principal) -> Frame:
        if not principal.agent_id:
            raise Forbidden("the agent topic is an agent's own desk")
        agent = self.configuration.get_agent(principal.agent_id)
        if agent is None:
            raise NotFound(f"agent {principal.agent_id} not found")
        _, _, since = self.dashboard.counters()
        interactions = []
        for held in self.routing.open_of_agent(principal.agent_id):
            interaction_id = held.id
            interaction = self.interactions.get_interaction(interaction_id)
            if interaction is None or interaction.agent_id != principal.agent_id or interaction.status != "open":
                continue
            data = interaction.to_json_dict()
            messages = [message.to_json_dict() for message in self.interactions.list_messages(interaction.id)]
            read_at = self.interactions.read_at(interaction.id)
            data["messages"] = messages
            data["unread"] = sum(
                1 for message in messages if message["direction"] == Direction.IN and message["createdAt"] > read_at
            )
            interactions.append(data)
        # Closed by this agent and still in wrap-up: shown with their form and time left, restored on reconnect.
        for interaction_id in agent.wrap_ups:
            interaction = self.interactions.get_interaction(interaction_id)
            if interaction is not None and interaction.wrap_up_until:
                data = interaction.to_json_dict()
                data["messages"] = [
                    message.to_json_dict() for message in self.interactions.list_messages(interaction_id)
                ]
                data["unread"] = 0
                interactions.append(data)
        queues = [
            {
                "id": queue.id,
                "name": queue.name,
                "dispositions": queue.dispositions,
                "dispositionRequired": queue.disposition_required,
                "wrapUpSeconds": queue.wrap_up_seconds,
            }
            for queue in self.configuration.list_queues()
        ]
        # `suggestions`: AI assist's suggested replies are on for the account (the desk shows its Suggest button).
        accounts = [
            {"id": account.id, "name": account.name, "key": account.key, "suggestions": account.options.ai.suggestions}
            for account in self.configuration.list_accounts()
        ]
        return {
            "type": "agent.snapshot",
            "at": utc_now(),
            "agent": {**public_agent(agent.to_json_dict()), "statusSince": since.get(agent.id, agent.updated_at)},
            "interactions": sorted(interactions, key=lambda item: item["createdAt"]),
            "queues": queues,
            "accounts": accounts,
            "pauseReasons": self.configuration.get_settings().pause_reasons,
        }

    def subscribe_dashboard(self, connection_id: str, principal: Principal) -> Frame:
        if not principal.is_supervisor:
            raise Forbidden("the dashboard is for supervisors")
        self.connections.subscribe_supervisor(connection_id)
        teams, queues = self.configuration.list_teams(), self.configuration.list_queues()
        snapshot = self.dashboard_snapshot(teams, queues)
        scope = scope_of(principal.supervisor_id, teams, queues)
        return snapshot if scope is None else scope.dashboard(snapshot)

    def scope(self, principal: Principal) -> Scope | None:
        """The supervisor's teams, their agents and queues (None: the whole center; agents act on their own)."""
        if not principal.is_supervisor or not principal.supervisor_id:
            return None
        return scope_of(principal.supervisor_id, self.configuration.list_teams(), self.configuration.list_queues())

    def dashboard_snapshot(self, teams: list[Team], configured: list[Queue]) -> Frame:
        """The dashboard's snapshot of the center: `teams` and the `configured` queues as the caller read them."""
        counters, account_counters, since = self.dashboard.counters()
        listed_accounts = self.configuration.list_accounts()
        zones = {account.id: account.options.time_zone for account in listed_accounts}
        tiles = QueueTiles(self.tiles, lambda account_id: zones.get(account_id, "UTC")).current(None)
        queues = []
        for queue in configured:
            state = counters.get(queue.id) or {"open": 0, "waiting": 0, "oldestWaitingSince": None, "alerts": {}}
            queues.append(
                {
                    "id": queue.id,
                    "name": queue.name,
                    "strategy": queue.strategy,
                    "agentIds": queue.agent_ids,
                    "teamIds": queue.team_ids,
                    "memberIds": queue.members,
                    "serviceLevelSeconds": queue.service_level_seconds,
                    "alertThresholds": queue.alerts.to_json_dict(),
                    "answered": 0,
                    "answeredInTarget": 0,
                    **state,
                    "tiles": tiles.get(queue.id) or empty_tiles(),
                }
            )
        agents = [
            {**public_agent(agent.to_json_dict()), "statusSince": since.get(agent.id, agent.updated_at)}
            for agent in self.configuration.list_agents()
        ]
        accounts = [
            {
                "id": account.id,
                "name": account.name,
                "provider": account.provider,
                "queueId": account.queue_id,
                "key": account.key,
                "open": (account_counters.get(account.id) or {}).get("open", 0),
            }
            for account in listed_accounts
        ]
        return {
            "type": "dashboard.snapshot",
            "at": utc_now(),
            "queues": queues,
            "agents": agents,
            "teams": [team.to_json_dict() for team in teams],
            "pauseReasons": self.configuration.get_settings().pause_reasons,
            "accounts": accounts,
            "feed": self.dashboard.recent_feed(),
        }
