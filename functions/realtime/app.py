"""The WebSocket API's routes: `$connect`, `$disconnect` and the actions of docs/api.md "WebSocket"
(smschannel.realtime.websocket, on the agent desk)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import logger, tracer
from smschannel.realtime.websocket import principal_of, ticket_of
from smschannel.warmup import answers_warmup

routes = wiring.websocket_routes()


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_context = event["requestContext"]
    route, connection_id = request_context["routeKey"], request_context["connectionId"]
    principal = principal_of(request_context)
    logger.append_keys(route=route, connectionId=connection_id, role=principal.role, agentId=principal.agent_id)
    return routes.handle(route, connection_id, principal, event.get("body"), ticket_of(request_context))
