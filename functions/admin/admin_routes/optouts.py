"""`/admin/accounts/{id}/optouts`: the numbers an account must not message (inbound STOP/START keep it too)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService


class OptOutBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    source: str | None = None


def optouts_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/accounts/<account_id>/optouts")
    def list_optouts(account_id: str) -> dict[str, Any]:
        return items(service.list_optouts(account_id))

    @router.put("/admin/accounts/<account_id>/optouts/<phone>")
    def put_optout(account_id: str, phone: str) -> Response[Any]:
        # The body is optional ({"source": "phone call"}); the phone may be URL-encoded (%2B for '+').
        raw = router.current_event.json_body if router.current_event.body else {}
        body = OptOutBody.model_validate(raw or {})
        optout, created = service.put_optout(account_id, unquote(phone), body.source)
        return saved(optout.to_json_dict(), created)

    @router.delete("/admin/accounts/<account_id>/optouts/<phone>")
    def delete_optout(account_id: str, phone: str) -> Response[Any]:
        service.delete_optout(account_id, unquote(phone))
        return deleted()

    return router
