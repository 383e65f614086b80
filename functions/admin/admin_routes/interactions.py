"""`/admin/interactions`: conversations, their messages, and closing them."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict

from smschannel.access import acting_agent
from smschannel.admin import AdminService
from smschannel.errors import Forbidden
from smschannel.http import json_response
from smschannel.http_identity import current_caller
from smschannel.models import NoteIn


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    disposition: str | None = None


def interactions_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/interactions")
    def list_interactions(
        account_id: Annotated[str | None, Query(alias="accountId")] = None,
        status: Annotated[str | None, Query()] = None,
        phone: Annotated[str | None, Query()] = None,
        contact_id: Annotated[str | None, Query(alias="contactId")] = None,
    ) -> dict[str, Any]:
        if contact_id is not None:
            # A contact's history, newest first (the phone index of its account).
            return {"items": [service.interaction_json(each) for each in service.contact_history(contact_id)]}
        if acting_agent(current_caller(router)):
            raise Forbidden("an agent lists a contact's history only: give contactId")
        found = service.list_interactions(account_id, status, phone)
        return {"items": [service.interaction_json(interaction) for interaction in found]}

    @router.get("/admin/interactions/<interaction_id>")
    def get_interaction(interaction_id: str) -> dict[str, Any]:
        return service.get_interaction(interaction_id)

    @router.post("/admin/interactions/<interaction_id>/close")
    def close_interaction(interaction_id: str) -> dict[str, Any]:
        # The body is optional (an empty POST closes without a disposition).
        raw = router.current_event.json_body if router.current_event.body else {}
        body = CloseBody.model_validate(raw or {})
        return service.close_interaction(interaction_id, body.disposition)

    @router.post("/admin/interactions/<interaction_id>/notes")
    def add_note(interaction_id: str, body: Annotated[NoteIn, Body()]) -> Response[Any]:
        caller = current_caller(router)
        agent_id = acting_agent(caller)
        author = f"agent:{agent_id}" if agent_id else caller.actor
        note = service.add_note(interaction_id, body, author, agent_id)
        return json_response(201, {"message": note.to_json_dict()})

    @router.post("/admin/interactions/<interaction_id>/summary")
    def regenerate_summary(interaction_id: str) -> Response[Any]:
        # AI assist: written by the assist function off the request path; poll GET /admin/interactions/{id}.
        return json_response(202, service.regenerate_summary(interaction_id))

    return router
