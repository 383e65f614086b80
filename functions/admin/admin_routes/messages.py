"""`POST /admin/interactions/{id}/messages` (a reply, as an agent's sendMessage) and `POST /admin/messages/preview`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from smschannel.admin import AdminService
from smschannel.http import json_response


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    body: str = ""
    client_message_id: str = Field(alias="clientMessageId")
    media: list[str] = Field(default_factory=list)


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    body: str


def messages_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.post("/admin/interactions/<interaction_id>/messages")
    def reply(interaction_id: str, body: Annotated[ReplyBody, Body()]) -> Response[Any]:
        message = service.reply(interaction_id, body.body, body.client_message_id, body.media)
        return json_response(202, {"message": message.to_json_dict()})

    @router.post("/admin/messages/preview")
    def preview(body: Annotated[PreviewBody, Body()]) -> dict[str, Any]:
        return service.preview(body.body).to_json_dict()

    return router
