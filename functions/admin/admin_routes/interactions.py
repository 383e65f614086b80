"""`/admin/interactions`: conversations, their messages, and closing them."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from smschannel.admin import AdminService


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    disposition: str | None = None


def interactions_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/interactions")
    def list_interactions(
        account_id: Annotated[str | None, Query(alias="accountId")] = None,
        status: Annotated[str | None, Query()] = None,
        phone: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        found = service.list_interactions(account_id, status, phone)
        return {"items": [service.interaction_json(interaction) for interaction in found]}

    @router.get("/admin/interactions/<interaction_id>")
    def get_interaction(interaction_id: str) -> dict[str, Any]:
        return service.get_interaction(interaction_id)

    @router.post("/admin/interactions/<interaction_id>/close")
    def close_interaction(interaction_id: str) -> dict[str, Any]:
        # The body is optional (an empty POST closes without a disposition).
        raw = router.current_event.json_body if router.current_event.body else {}
        body = CloseBody.model_validate(raw or {})
        return service.close_interaction(interaction_id, body.disposition)

    return router
