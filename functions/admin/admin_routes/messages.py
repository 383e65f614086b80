"""`POST /admin/interactions/{id}/messages` (a reply, as an agent's sendMessage) and `POST /admin/messages/preview`."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from smschannel.http import json_response
from smschannel.outbound.service import OutboundService


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    body: str = ""
    client_message_id: str = Field(alias="clientMessageId")
    media: list[str] = Field(default_factory=list)


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    body: str


def messages_router(outbound: OutboundService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.post("/admin/interactions/<interaction_id>/messages")
    def reply(interaction_id: str, body: Annotated[ReplyBody, Body()]) -> Response[Any]:
        message = outbound.reply(
            interaction_id, body.body, body.client_message_id, media=body.media or None, sender="admin"
        )
        return json_response(202, {"message": message.to_json_dict()})

    @router.post("/admin/messages/preview")
    def preview(body: Annotated[PreviewBody, Body()]) -> dict[str, Any]:
        return outbound.preview(body.body).to_json_dict()

    return router
