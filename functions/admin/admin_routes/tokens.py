"""`POST /admin/tokens`: WebSocket tokens for an agent or a supervisor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from smschannel.admin import AdminService
from smschannel.http import json_response


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    agentId: str | None = None  # noqa: N815 (docs/api.md's field name)
    role: str | None = None
    # A supervisor link scoped to the teams whose supervisorIds name it (docs/floor.md "Supervisors' scope").
    supervisorId: str | None = Field(default=None, min_length=1, max_length=200)  # noqa: N815


def tokens_router(service: AdminService, signing_key: Callable[[], str]) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.post("/admin/tokens")
    def create_token(body: Annotated[TokenBody, Body()]) -> Response[Any]:
        token = service.issue_token(signing_key(), body.agentId, body.role, body.supervisorId)
        return json_response(201, {"token": token})

    return router
