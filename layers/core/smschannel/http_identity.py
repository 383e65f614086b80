"""The sign-in gate of the HTTP functions that need one (the admin API): who calls, and may they call this route.

It runs before the resolver (so before request validation: a caller who may not call a route learns nothing about
its parameters), answering 401/403 in the one error shape; a caller let through is `app.context["caller"]`.
Apart from smschannel.http so the webhook function, which authenticates by provider signatures, never imports the
JWT stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from smschannel.access import authorize
from smschannel.errors import DomainError
from smschannel.http import error_body
from smschannel.identity import BREAK_GLASS_CALLER, Authenticator, Caller
from smschannel.observability import logger


class SignInGate:
    """`check(event)`: None when the caller may go on (then in the resolver's context), else the refusal."""

    def __init__(
        self,
        authenticator: Authenticator,
        public_paths: Collection[str] = (),
        on_break_glass: Callable[[str, str], None] | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.public_paths = frozenset(public_paths)
        self.on_break_glass = on_break_glass

    def check(self, event: Mapping[str, Any], app: APIGatewayHttpResolver) -> dict[str, Any] | None:
        request = APIGatewayProxyEventV2(dict(event))
        path, method = request.path, request.request_context.http.method.upper()
        if path in self.public_paths:
            return None
        headers = request.headers or {}
        try:
            caller = self.authenticator.authenticate(headers.get("authorization") or headers.get("Authorization"))
            authorize(caller, method, path)
        except DomainError as refused:  # Unauthorized, Forbidden, IdentityUnavailable
            logger.info("request refused", extra={"code": refused.code, "status": refused.status_code})
            return {
                "statusCode": refused.status_code,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps(error_body(refused.code, refused.message)),
                "isBase64Encoded": False,
            }
        app.append_context(caller=caller)
        if caller is BREAK_GLASS_CALLER and self.on_break_glass is not None:
            self.on_break_glass(method, path)
        return None


def current_caller(app: APIGatewayHttpResolver | APIGatewayHttpRouter) -> Caller:
    """The caller the gate let through (every route behind it has one)."""
    caller = app.context.get("caller")
    if not isinstance(caller, Caller):
        raise RuntimeError("no caller: the request did not pass the SignInGate")
    return caller
