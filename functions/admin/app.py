"""The admin API of docs/api.md (accounts, queues, agents, triggers, contacts, interactions, tokens, audit),
`POST /realtime/tickets` and /health.

Each resource's routes are one router in `admin_routes`; the handler's gate authenticates the caller and checks its
role for the route (smschannel.http_identity, smschannel.access) and hands every request to the domain's AdminService,
which audits each change as the caller's.
"""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_routes import admin_routers
from admin_routes.reports import reports_router
from smschannel import wiring
from smschannel.http import http_api
from smschannel.http_identity import SignInGate, current_caller
from smschannel.observability import logger, tracer
from smschannel.warmup import answers_warmup

app = http_api(enable_validation=True)
service = wiring.admin_service(actor=lambda: current_caller(app).actor)
token_signing_key = wiring.token_signing_key()
tickets = wiring.websocket_tickets()

gate = SignInGate(wiring.authenticator(), public_paths={"/health"}, on_break_glass=service.break_glass_used)
for router in admin_routers(service, token_signing_key, tickets):
    app.include_router(router)
app.include_router(reports_router(cache(wiring.report_runner), service))  # built on the first report asked


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return gate.check(event, app) or app.resolve(event, context)
