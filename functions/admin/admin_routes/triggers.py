"""`/admin/accounts/{id}/triggers`: an account's trigger rules."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.models import TriggerIn


def triggers_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.put("/admin/accounts/<account_id>/triggers/<trigger_id>")
    def put_trigger(account_id: str, trigger_id: str, body: Annotated[TriggerIn, Body()]) -> Response[Any]:
        trigger, created = service.put_trigger(account_id, trigger_id, body)
        return saved(trigger.to_json_dict(), created)

    @router.get("/admin/accounts/<account_id>/triggers")
    def list_triggers(account_id: str) -> dict[str, Any]:
        return items(service.list_triggers(account_id))

    @router.delete("/admin/accounts/<account_id>/triggers/<trigger_id>")
    def delete_trigger(account_id: str, trigger_id: str) -> Response[Any]:
        service.delete_trigger(account_id, trigger_id)
        return deleted()

    return router
