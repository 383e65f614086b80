"""`GET /admin/audit?resource=&actor=&since=`: who changed what (admins; smschannel.audit)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smschannel.admin import AdminService


def audit_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/audit")
    def list_audit(
        resource: Annotated[str | None, Query()] = None,
        actor: Annotated[str | None, Query()] = None,
        since: Annotated[str | None, Query()] = None,
    ) -> dict[str, Any]:
        return {"items": service.audit_entries(resource, actor, since)}

    return router
