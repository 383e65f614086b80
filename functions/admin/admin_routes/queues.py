"""`/admin/queues`: routing queues."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.models import QueueIn


def queues_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.put("/admin/queues/<queue_id>")
    def put_queue(queue_id: str, body: Annotated[QueueIn, Body()]) -> Response[Any]:
        queue, created = service.put_queue(queue_id, body)
        return saved(queue.to_json_dict(), created)

    @router.get("/admin/queues")
    def list_queues() -> dict[str, Any]:
        return items(service.list_queues())

    @router.get("/admin/queues/<queue_id>")
    def get_queue(queue_id: str) -> dict[str, Any]:
        return service.get_queue(queue_id).to_json_dict()

    @router.delete("/admin/queues/<queue_id>")
    def delete_queue(queue_id: str) -> Response[Any]:
        service.delete_queue(queue_id)
        return deleted()

    return router
