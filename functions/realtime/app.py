"""The WebSocket API's routes: `$connect`, `$disconnect` and the actions of SPEC.md "WebSocket".

A refused action answers the acting connection with an `error` frame naming its code; nothing else changes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.dynamo import Table
from smschannel.errors import DomainError
from smschannel.observability import logger, tracer
from smschannel.realtime.agent_desk import AgentDesk
from smschannel.realtime.frames import error_frame, parse_action
from smschannel.realtime.push import Pusher
from smschannel.settings import get_settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.connections import ConnectionStore
from smschannel.stores.dashboard import DashboardStore
from smschannel.stores.interactions import InteractionStore
from smschannel.tokens import Principal
from smschannel.warmup import answers_warmup

if TYPE_CHECKING:
    from smschannel.outbound.service import OutboundService

settings = get_settings()
table = Table(settings.table_name)
configuration = ConfigurationStore(table)


def replies() -> OutboundService:
    """The reply use case, imported and built on an agent's first reply, not at cold start."""
    from smschannel.account_cache import AccountCache
    from smschannel.outbound.service import OutboundService

    accounts = AccountCache(configuration, settings.account_cache_seconds)
    return OutboundService(table, accounts, settings.max_body_length)


desk = AgentDesk(
    table, configuration, InteractionStore(table), ConnectionStore(table), DashboardStore(table), replies=replies
)
pusher = Pusher(settings.connections_endpoint)

OK = {"statusCode": 200}


def principal_of(request_context: dict[str, Any]) -> Principal:
    """Who the $connect authorizer let in (its context travels with every event of the connection)."""
    claims = request_context.get("authorizer") or {}
    role = str(claims.get("role") or "")
    if role not in ("agent", "supervisor"):
        raise PermissionError("connection without an authorized principal")
    return Principal(role=role, agent_id=claims.get("agentId") or None, expires_at=int(claims.get("expiresAt") or 0))


def _request_fields(body: str | None) -> dict[str, Any]:
    try:
        data = json.loads(body or "")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request_context = event["requestContext"]
    route, connection_id = request_context["routeKey"], request_context["connectionId"]
    principal = principal_of(request_context)
    logger.append_keys(route=route, connectionId=connection_id, role=principal.role, agentId=principal.agent_id)
    if route == "$connect":
        try:
            desk.connect(connection_id, principal)
        except DomainError as refused:
            logger.info("connection refused", extra={"code": refused.code})
            return {"statusCode": refused.status_code}
        return OK
    if route == "$disconnect":
        desk.disconnect(connection_id, principal)
        return OK
    try:
        replies = desk.act(connection_id, principal, parse_action(event.get("body")))
    except DomainError as refused:
        logger.info("action refused", extra={"code": refused.code})
        replies = [error_frame(refused, _request_fields(event.get("body")))]
    for frame in replies:
        pusher.send(connection_id, frame)
    return OK
