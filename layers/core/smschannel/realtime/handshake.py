"""Who may open a WebSocket (`$connect`): `?ticket=` (a signed-in page's, POST /realtime/tickets), `?token=` a
Cognito access token (non-browser clients), or `?token=` one of the stack's own agent/supervisor tokens
(`POST /admin/tokens`, smschannel.tokens). The answer is the connection's principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jwt

from smschannel.errors import Unauthorized
from smschannel.identity import AccessTokenVerifier, websocket_role
from smschannel.realtime.tickets import WebSocketTickets
from smschannel.tokens import ALGORITHM as OWN_TOKEN_ALGORITHM
from smschannel.tokens import Principal, verify_token


@dataclass(frozen=True)
class Admission:
    principal: Principal
    ticket: str | None  # the ticket's digest, used by the $connect route


class Handshake:
    def __init__(
        self, signing_key: Callable[[], str], verifier: AccessTokenVerifier | None, tickets: WebSocketTickets
    ) -> None:
        self.signing_key = signing_key
        self.verifier = verifier
        self.tickets = tickets

    def admit(self, query: dict[str, str]) -> Admission:
        """Unauthorized (or Forbidden: a machine, a user in no group) when the query opens no connection."""
        ticket, token = query.get("ticket"), query.get("token")
        if ticket:
            principal, digest = self.tickets.admit(ticket)
            return Admission(principal, digest)
        if not token:
            raise Unauthorized("missing ticket or token")
        if _algorithm(token) == OWN_TOKEN_ALGORITHM or self.verifier is None:
            return Admission(verify_token(self.signing_key(), token), None)
        caller = self.verifier.verify(token)
        role, agent_id = websocket_role(caller)
        supervisor_id = caller.actor if role == "supervisor" else None
        principal = Principal(role=role, agent_id=agent_id, expires_at=caller.expires_at, supervisor_id=supervisor_id)
        return Admission(principal, None)


def _algorithm(token: str) -> str | None:
    try:
        return jwt.get_unverified_header(token).get("alg")
    except jwt.InvalidTokenError:
        return None
