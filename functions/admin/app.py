"""The admin API of SPEC.md (accounts, queues, agents, triggers, contacts, interactions, tokens) and /health.

Each resource's routes are one router in `admin_routes`; the handler authenticates and hands every request to
the domain's AdminService, the only layer the routes speak to.
"""

from __future__ import annotations

import hmac
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_routes.accounts import accounts_router
from admin_routes.agents import agents_router
from admin_routes.contacts import contacts_router
from admin_routes.interactions import interactions_router
from admin_routes.messages import messages_router
from admin_routes.optouts import optouts_router
from admin_routes.queues import queues_router
from admin_routes.tokens import tokens_router
from admin_routes.triggers import triggers_router
from smschannel import secrets, wiring
from smschannel.http import error_body, json_response, register_error_handlers
from smschannel.observability import logger, tracer
from smschannel.settings import get_settings
from smschannel.warmup import answers_warmup

settings = get_settings()
service = wiring.admin_service()

app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)

PUBLIC_PATHS = {"/health"}


def admin_token() -> str:
    return secrets.admin_token(settings)


def token_signing_key() -> str:
    return secrets.token_signing_key(settings)


def require_admin_token(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    if app.current_event.path in PUBLIC_PATHS:
        return next_middleware(app)
    header = app.current_event.headers.get("authorization") or app.current_event.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), admin_token().encode()):
        return json_response(401, error_body("unauthorized", "missing or wrong bearer token"))
    return next_middleware(app)


app.use(middlewares=[require_admin_token])


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


for router in (
    accounts_router(service),
    queues_router(service),
    agents_router(service),
    triggers_router(service),
    contacts_router(service),
    interactions_router(service),
    messages_router(service),
    optouts_router(service),
    tokens_router(service, token_signing_key),
):
    app.include_router(router)


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
