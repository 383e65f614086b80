"""`/admin/accounts`: provider accounts (their credentials are never returned)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.responses import deleted, saved
from smschannel.admin import AdminService
from smschannel.models import AccountIn


def accounts_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.put("/admin/accounts/<account_id>")
    def put_account(account_id: str, body: Annotated[AccountIn, Body()]) -> Response[Any]:
        account, created = service.put_account(account_id, body)
        return saved(account.public(), created)

    @router.get("/admin/accounts")
    def list_accounts() -> dict[str, Any]:
        return {"items": [account.public() for account in service.list_accounts()]}

    @router.get("/admin/accounts/<account_id>")
    def get_account(account_id: str) -> dict[str, Any]:
        return service.get_account(account_id).public()

    @router.delete("/admin/accounts/<account_id>")
    def delete_account(account_id: str) -> Response[Any]:
        service.delete_account(account_id)
        return deleted()

    return router
