"""The admin API of docs/api.md (accounts, queues, agents, triggers, contacts, interactions, tokens) and /health.

Each resource's routes are one router in `admin_routes`; the handler authenticates and hands every request to
the domain's AdminService, the only layer the routes speak to.
"""

from __future__ import annotations

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from admin_routes import admin_routers
from smschannel import secrets, wiring
from smschannel.http import bearer_token_required, http_api
from smschannel.observability import logger, tracer
from smschannel.settings import get_settings
from smschannel.warmup import answers_warmup

settings = get_settings()
service = wiring.admin_service()
token_signing_key = wiring.token_signing_key()

app = http_api(enable_validation=True)
app.use(middlewares=[bearer_token_required(lambda: secrets.admin_token(settings), public_paths={"/health"})])
for router in admin_routers(service, token_signing_key):
    app.include_router(router)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
