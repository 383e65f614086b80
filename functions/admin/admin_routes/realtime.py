"""`POST /realtime/tickets`: a signed-in user's single-use WebSocket ticket (smschannel.realtime.tickets)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smschannel.http import json_response
from smschannel.http_identity import current_caller
from smschannel.realtime.tickets import WebSocketTickets


def realtime_router(tickets: WebSocketTickets) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.post("/realtime/tickets")
    def create_ticket() -> Response[Any]:
        return json_response(201, tickets.issue(current_caller(router)))

    return router
