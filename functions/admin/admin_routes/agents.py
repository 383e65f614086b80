"""`/admin/agents`: agents, their capacity and status."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.models import AgentIn


def agents_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.put("/admin/agents/<agent_id>")
    def put_agent(agent_id: str, body: Annotated[AgentIn, Body()]) -> Response[Any]:
        agent, created = service.put_agent(agent_id, body)
        return saved(agent.to_json_dict(), created)

    @router.get("/admin/agents")
    def list_agents() -> dict[str, Any]:
        return items(service.list_agents())

    @router.get("/admin/agents/<agent_id>")
    def get_agent(agent_id: str) -> dict[str, Any]:
        return service.get_agent(agent_id).to_json_dict()

    @router.delete("/admin/agents/<agent_id>")
    def delete_agent(agent_id: str) -> Response[Any]:
        service.delete_agent(agent_id)
        return deleted()

    return router
