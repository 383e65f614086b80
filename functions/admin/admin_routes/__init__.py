"""The admin API's routes, one Powertools router per resource; each speaks only to the domain's AdminService."""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.accounts import accounts_router
from admin_routes.agents import agents_router
from admin_routes.audit import audit_router
from admin_routes.contacts import contacts_router
from admin_routes.floor import floor_router
from admin_routes.interactions import interactions_router
from admin_routes.messages import messages_router
from admin_routes.optouts import optouts_router
from admin_routes.queues import queues_router
from admin_routes.realtime import realtime_router
from admin_routes.tokens import tokens_router
from admin_routes.triggers import triggers_router
from smschannel.admin import AdminService
from smschannel.realtime.tickets import WebSocketTickets


def admin_routers(
    service: AdminService, token_signing_key: Callable[[], str], tickets: WebSocketTickets
) -> list[APIGatewayHttpRouter]:
    return [
        accounts_router(service),
        queues_router(service),
        agents_router(service),
        triggers_router(service),
        contacts_router(service),
        interactions_router(service),
        messages_router(service),
        optouts_router(service),
        floor_router(service),
        tokens_router(service, token_signing_key),
        audit_router(service),
        realtime_router(tickets),
    ]
