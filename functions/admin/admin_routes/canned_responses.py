"""`/admin/responses`: canned replies, and one filled for an interaction (`.../render`)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.http_identity import current_caller
from smschannel.models import CannedReplyIn


class RenderBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    interaction_id: str = Field(alias="interactionId", min_length=1)


def canned_responses_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.put("/admin/responses/<response_id>")
    def put_response(response_id: str, body: Annotated[CannedReplyIn, Body()]) -> Response[Any]:
        reply, created = service.put_response(response_id, body)
        return saved(reply.to_json_dict(), created)

    @router.get("/admin/responses")
    def list_responses(
        account_id: Annotated[str | None, Query(alias="accountId")] = None,
        queue_id: Annotated[str | None, Query(alias="queueId")] = None,
    ) -> dict[str, Any]:
        return items(service.canned.list(account_id, queue_id))

    @router.get("/admin/responses/<response_id>")
    def get_response(response_id: str) -> dict[str, Any]:
        return service.canned.get(response_id).to_json_dict()

    @router.delete("/admin/responses/<response_id>")
    def delete_response(response_id: str) -> Response[Any]:
        service.delete_response(response_id)
        return deleted()

    @router.post("/admin/responses/<response_id>/render")
    def render_response(response_id: str, body: Annotated[RenderBody, Body()]) -> dict[str, Any]:
        # An agent's own name fills {{agent.name}}; anyone else's render uses the interaction's agent.
        agent_id = current_caller(router).agent_id
        return service.canned.render(response_id, body.interaction_id, agent_id)

    return router
