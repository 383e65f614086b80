"""`GET /admin/search`: an account's conversations by phone, contact name or message text in a date range."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smschannel.admin import AdminService
from smschannel.search import SearchQuery


def search_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/search")
    def search(
        *,
        account_id: Annotated[str, Query(alias="accountId", min_length=1)],
        q: Annotated[str, Query()] = "",
        since: Annotated[str | None, Query(alias="from")] = None,
        until: Annotated[str | None, Query(alias="to")] = None,
        limit: Annotated[int, Query()] = 20,
        next_token: Annotated[str | None, Query(alias="nextToken")] = None,
    ) -> dict[str, Any]:
        query = SearchQuery(account_id, q, since, until, limit, next_token)
        return service.search(query).to_json_dict()

    return router
