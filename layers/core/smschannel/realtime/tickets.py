"""WebSocket connection tickets: a signed-in page trades its access token (`POST /realtime/tickets`) for a
ticket that opens one connection within seconds (`{ws}?ticket=`), so no token travels in a WebSocket URL.

The $connect authorizer `admit`s a ticket (unused, unexpired); the $connect route `use`s it (a conditional delete),
so it opens a single connection whatever the authorizer's cache replays.
"""

from __future__ import annotations

from collections.abc import Callable

from smschannel.errors import Forbidden, Unauthorized
from smschannel.identity import Caller, websocket_role
from smschannel.stores.tickets import Ticket, TicketStore, digest
from smschannel.tokens import Principal


class WebSocketTickets:
    def __init__(self, store: TicketStore, agent_exists: Callable[[str], bool]) -> None:
        self.store = store
        self.agent_exists = agent_exists

    def issue(self, caller: Caller) -> dict[str, object]:
        """`{ticket, expiresIn, role, agentId}` for the caller's WebSocket principal; Forbidden for a user who has
        none."""
        role, agent_id = websocket_role(caller)
        if agent_id and not self.agent_exists(agent_id):
            raise Forbidden(f"no agent {agent_id!r} is configured for this user")
        ticket, expires_in = self.store.issue(role, agent_id, caller.actor)
        return {"ticket": ticket, "expiresIn": expires_in, "role": role, "agentId": agent_id}

    def admit(self, ticket: str) -> tuple[Principal, str]:
        """The principal the ticket names and its digest (for the $connect route to use it)."""
        found = self.store.peek(ticket)
        if found is None:
            raise Unauthorized("the ticket is unknown, used or expired")
        return principal_of_ticket(found), digest(ticket)

    def use(self, ticket_digest: str) -> None:
        """Use the ticket for this connection; Unauthorized when it was used (or expired) already."""
        if self.store.consume(ticket_digest) is None:
            raise Unauthorized("the ticket was used already")


def principal_of_ticket(ticket: Ticket) -> Principal:
    # A supervisor's ticket names the signed-in user: its username scopes the dashboard to its teams.
    supervisor_id = ticket.actor if ticket.role == "supervisor" else None
    return Principal(
        role=ticket.role, agent_id=ticket.agent_id, expires_at=ticket.valid_until, supervisor_id=supervisor_id
    )
