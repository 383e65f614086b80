"""The WebSocket API's routes: `$connect`, `$disconnect` and the actions of docs/api.md "WebSocket", on the agent desk.

A refused action answers the acting connection with an `error` frame naming its code; nothing else changes.
"""

from __future__ import annotations

import json
from typing import Any

from smschannel.errors import DomainError
from smschannel.observability import logger
from smschannel.principal import Principal
from smschannel.realtime.agent_desk import AgentDesk
from smschannel.realtime.frames import error_frame, parse_action
from smschannel.realtime.push import Pusher
from smschannel.realtime.tickets import WebSocketTickets

OK = {"statusCode": 200}


def principal_of(request_context: dict[str, Any]) -> Principal:
    """Who the $connect authorizer let in (its context travels with every event of the connection)."""
    claims = request_context.get("authorizer") or {}
    role = str(claims.get("role") or "")
    if role not in ("agent", "supervisor"):
        raise PermissionError("connection without an authorized principal")
    return Principal(
        role=role,
        agent_id=claims.get("agentId") or None,
        expires_at=int(claims.get("expiresAt") or 0),
        supervisor_id=claims.get("supervisorId") or None,
    )


def ticket_of(request_context: dict[str, Any]) -> str | None:
    """The digest of the ticket the connection was admitted with (None for a token)."""
    return (request_context.get("authorizer") or {}).get("ticket") or None


def _request_fields(body: str | None) -> dict[str, Any]:
    try:
        data = json.loads(body or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class WebSocketRoutes:
    def __init__(self, desk: AgentDesk, pusher: Pusher, tickets: WebSocketTickets | None = None) -> None:
        self.desk = desk
        self.pusher = pusher
        self.tickets = tickets

    def handle(
        self, route: str, connection_id: str, principal: Principal, body: str | None, ticket: str | None = None
    ) -> dict[str, Any]:
        """One route's event; the answer API Gateway expects (200, or a refused $connect's status). A connection
        admitted with a ticket uses it here (so a replayed authorizer answer cannot open a second one)."""
        if route == "$connect":
            try:
                if ticket:
                    if self.tickets is None:
                        raise RuntimeError("WebSocketRoutes built without the tickets")
                    self.tickets.use(ticket)
                self.desk.connect(connection_id, principal)
            except DomainError as refused:
                logger.info("connection refused", extra={"code": refused.code})
                return {"statusCode": refused.status_code}
            return OK
        if route == "$disconnect":
            self.desk.disconnect(connection_id, principal)
            return OK
        try:
            replies = self.desk.act(connection_id, principal, parse_action(body))
        except DomainError as refused:
            logger.info("action refused", extra={"code": refused.code})
            replies = [error_frame(refused, _request_fields(body))]
        for frame in replies:
            self.pusher.send(connection_id, frame)
        return OK
