"""`/admin/accounts/{id}/triggers`: an account's trigger rules and their recent runs (smschannel.triggers)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.errors import InvalidConfiguration


def triggers_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()
    triggers = service.triggers

    def json_body() -> Any:
        """Validated by the domain (not the resolver) so a refusal names the field the way the rules do."""
        try:
            return router.current_event.json_body if router.current_event.body else None
        except ValueError as exc:
            raise InvalidConfiguration("the body is not JSON", field="body") from exc

    @router.put("/admin/accounts/<account_id>/triggers/<trigger_id>")
    def put_trigger(account_id: str, trigger_id: str) -> Response[Any]:
        trigger, created = service.put_trigger(account_id, trigger_id, json_body())
        return saved(trigger.public(), created)

    @router.get("/admin/accounts/<account_id>/triggers")
    def list_triggers(account_id: str) -> dict[str, Any]:
        return {"items": [trigger.public() for trigger in triggers.list_all(account_id)]}

    @router.get("/admin/accounts/<account_id>/triggers/<trigger_id>")
    def get_trigger(account_id: str, trigger_id: str) -> dict[str, Any]:
        return triggers.get(account_id, trigger_id).public()

    @router.delete("/admin/accounts/<account_id>/triggers/<trigger_id>")
    def delete_trigger(account_id: str, trigger_id: str) -> Response[Any]:
        service.delete_trigger(account_id, trigger_id)
        return deleted()

    @router.get("/admin/accounts/<account_id>/triggers/<trigger_id>/runs")
    def list_trigger_runs(account_id: str, trigger_id: str) -> dict[str, Any]:
        return items(triggers.runs(account_id, trigger_id))

    return router
