"""The WebSocket API's `$connect` REQUEST authorizer: `?ticket=` (single use), `?token=` a Cognito access token,
or `?token=` an agent or supervisor token of the stack's own (smschannel.realtime.handshake)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.errors import DomainError
from smschannel.observability import logger
from smschannel.warmup import answers_warmup

handshake = wiring.handshake()


def policy(principal_id: str, effect: str, resource: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        answer["context"] = context
    return answer


@answers_warmup
@logger.inject_lambda_context(log_event=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resource = str(event.get("methodArn", "*"))
    try:
        admission = handshake.admit(event.get("queryStringParameters") or {})
    except DomainError as refused:  # Unauthorized, Forbidden, IdentityUnavailable
        logger.info("handshake refused", extra={"reason": refused.message})
        return policy("anonymous", "Deny", resource)
    principal = admission.principal
    subject = principal.agent_id or "supervisor"
    # Context values reach every route of the connection as requestContext.authorizer (strings only).
    claims = {
        "role": principal.role,
        "agentId": principal.agent_id or "",
        "expiresAt": str(principal.expires_at),
        "supervisorId": principal.supervisor_id or "",
        "ticket": admission.ticket or "",
    }
    return policy(subject, "Allow", resource, claims)
