"""The agents' floor through the admin API: teams, the center's settings (pause reasons), an account's block list,
and transferring or finishing the wrap-up of an interaction as a supervisor (docs/api.md "The agents' floor")."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from admin_routes.responses import deleted, items, saved
from smschannel.admin import AdminService
from smschannel.models import BlockIn, CamelModel, SettingsIn, TeamIn


class TransferBody(CamelModel):
    agent_id: str | None = Field(default=None, min_length=1)
    queue_id: str | None = Field(default=None, min_length=1)
    note: str | None = Field(default=None, max_length=1000)


class WrapUpBody(CamelModel):
    disposition: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)


def floor_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()
    floor = service.floor

    @router.put("/admin/teams/<team_id>")
    def put_team(team_id: str, body: Annotated[TeamIn, Body()]) -> Response[Any]:
        team, created = floor.put_team(team_id, body)
        return saved(team.to_json_dict(), created)

    @router.get("/admin/teams")
    def list_teams() -> dict[str, Any]:
        return items(floor.list_teams())

    @router.get("/admin/teams/<team_id>")
    def get_team(team_id: str) -> dict[str, Any]:
        return floor.get_team(team_id).to_json_dict()

    @router.delete("/admin/teams/<team_id>")
    def delete_team(team_id: str) -> Response[Any]:
        floor.delete_team(team_id)
        return deleted()

    @router.get("/admin/settings")
    def get_settings() -> dict[str, Any]:
        return floor.get_settings().to_json_dict()

    @router.put("/admin/settings")
    def put_settings(body: Annotated[SettingsIn, Body()]) -> dict[str, Any]:
        return floor.put_settings(body).to_json_dict()

    @router.get("/admin/accounts/<account_id>/blocked")
    def list_blocked(account_id: str) -> dict[str, Any]:
        return items(floor.list_blocked(service.get_account(account_id)))

    @router.get("/admin/accounts/<account_id>/blocked/<phone>")
    def get_blocked(account_id: str, phone: str) -> dict[str, Any]:
        return floor.get_blocked(service.get_account(account_id), unquote(phone)).to_json_dict()

    @router.put("/admin/accounts/<account_id>/blocked/<phone>")
    def put_blocked(account_id: str, phone: str) -> Response[Any]:
        # The body is optional ({"reason": "abusive"}); the phone may be URL-encoded (%2B for '+').
        raw = router.current_event.json_body if router.current_event.body else {}
        body = BlockIn.model_validate(raw or {})
        entry, created = floor.block(service.get_account(account_id), unquote(phone), body.reason)
        return saved(entry.to_json_dict(), created)

    @router.delete("/admin/accounts/<account_id>/blocked/<phone>")
    def delete_blocked(account_id: str, phone: str) -> Response[Any]:
        floor.unblock(service.get_account(account_id), unquote(phone))
        return deleted()

    @router.post("/admin/interactions/<interaction_id>/transfer")
    def transfer(interaction_id: str, body: Annotated[TransferBody, Body()]) -> dict[str, Any]:
        moved = floor.transfer(interaction_id, body.agent_id, body.queue_id, body.note)
        return {"interaction": service.interaction_json(moved)}

    @router.post("/admin/interactions/<interaction_id>/wrap-up")
    def wrap_up(interaction_id: str, body: Annotated[WrapUpBody, Body()]) -> dict[str, Any]:
        finished = floor.wrap_up.submit(interaction_id, body.disposition, body.notes, owner=None)
        return {"interaction": service.interaction_json(finished)}

    return router
