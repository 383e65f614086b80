"""The admin API of SPEC.md (accounts, queues, agents, triggers, contacts, interactions, tokens) and /health."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from smschannel import secrets
from smschannel.admin import AdminService, require_found
from smschannel.errors import NotFound
from smschannel.http import error_body, json_response, register_error_handlers
from smschannel.models import AccountIn, AgentIn, ContactIn, QueueIn, TriggerIn
from smschannel.observability import logger, tracer
from smschannel.repository import Repository
from smschannel.settings import get_settings
from smschannel.warmup import answers_warmup

settings = get_settings()
repository = Repository(settings.table_name)
service = AdminService(repository)

app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)

PUBLIC_PATHS = {"/health"}


def admin_token() -> str:
    return secrets.admin_token(settings)


def token_signing_key() -> str:
    return secrets.token_signing_key(settings)


def require_admin_token(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    if app.current_event.path in PUBLIC_PATHS:
        return next_middleware(app)
    header = app.current_event.headers.get("authorization") or app.current_event.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), admin_token().encode()):
        return json_response(401, error_body("unauthorized", "missing or wrong bearer token"))
    return next_middleware(app)


app.use(middlewares=[require_admin_token])


def saved(obj: dict[str, Any], created: bool) -> Response[Any]:
    return json_response(201 if created else 200, obj)


def items(objects: list[Any]) -> dict[str, Any]:
    return {"items": [obj if isinstance(obj, dict) else obj.to_json_dict() for obj in objects]}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


# --- accounts --------------------------------------------------------------------------------------------------


@app.put("/admin/accounts/<account_id>")
def put_account(account_id: str, body: Annotated[AccountIn, Body()]) -> Response[Any]:
    account, created = service.put_account(account_id, body)
    return saved(account.public(), created)


@app.get("/admin/accounts")
def list_accounts() -> dict[str, Any]:
    return {"items": [account.public() for account in repository.list_accounts()]}


@app.get("/admin/accounts/<account_id>")
def get_account(account_id: str) -> dict[str, Any]:
    return service.get_account(account_id).public()


@app.delete("/admin/accounts/<account_id>")
def delete_account(account_id: str) -> Response[Any]:
    return _deleted(repository.delete_account(account_id), "account", account_id)


# --- queues ----------------------------------------------------------------------------------------------------


@app.put("/admin/queues/<queue_id>")
def put_queue(queue_id: str, body: Annotated[QueueIn, Body()]) -> Response[Any]:
    queue, created = service.put_queue(queue_id, body)
    return saved(queue.to_json_dict(), created)


@app.get("/admin/queues")
def list_queues() -> dict[str, Any]:
    return items(repository.list_queues())


@app.get("/admin/queues/<queue_id>")
def get_queue(queue_id: str) -> dict[str, Any]:
    return require_found(repository.get_queue(queue_id), "queue", queue_id).to_json_dict()


@app.delete("/admin/queues/<queue_id>")
def delete_queue(queue_id: str) -> Response[Any]:
    return _deleted(repository.delete_queue(queue_id), "queue", queue_id)


# --- agents ----------------------------------------------------------------------------------------------------


@app.put("/admin/agents/<agent_id>")
def put_agent(agent_id: str, body: Annotated[AgentIn, Body()]) -> Response[Any]:
    agent, created = service.put_agent(agent_id, body)
    return saved(agent.to_json_dict(), created)


@app.get("/admin/agents")
def list_agents() -> dict[str, Any]:
    return items(repository.list_agents())


@app.get("/admin/agents/<agent_id>")
def get_agent(agent_id: str) -> dict[str, Any]:
    return require_found(repository.get_agent(agent_id), "agent", agent_id).to_json_dict()


@app.delete("/admin/agents/<agent_id>")
def delete_agent(agent_id: str) -> Response[Any]:
    return _deleted(repository.delete_agent(agent_id), "agent", agent_id)


# --- triggers --------------------------------------------------------------------------------------------------


@app.put("/admin/accounts/<account_id>/triggers/<trigger_id>")
def put_trigger(account_id: str, trigger_id: str, body: Annotated[TriggerIn, Body()]) -> Response[Any]:
    trigger, created = service.put_trigger(account_id, trigger_id, body)
    return saved(trigger.to_json_dict(), created)


@app.get("/admin/accounts/<account_id>/triggers")
def list_triggers(account_id: str) -> dict[str, Any]:
    service.get_account(account_id)
    return items(repository.list_triggers(account_id))


@app.delete("/admin/accounts/<account_id>/triggers/<trigger_id>")
def delete_trigger(account_id: str, trigger_id: str) -> Response[Any]:
    return _deleted(repository.delete_trigger(account_id, trigger_id), "trigger", trigger_id)


# --- contacts --------------------------------------------------------------------------------------------------


class ContactBody(ContactIn):
    """A contact's editable fields; `accountId` and `phone` only when creating one by hand."""

    account_id: str | None = None
    phone: str | None = None


@app.get("/admin/contacts")
def list_contacts(
    account_id: Annotated[str, Query(alias="accountId")], phone: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    return items(service.list_contacts(account_id, phone))


@app.get("/admin/contacts/<contact_id>")
def get_contact(contact_id: str) -> dict[str, Any]:
    return require_found(repository.get_contact(contact_id), "contact", contact_id).to_json_dict()


@app.put("/admin/contacts/<contact_id>")
def put_contact(contact_id: str, body: Annotated[ContactBody, Body()]) -> Response[Any]:
    # Only the fields given change: a PUT of {"notes": ...} keeps the contact's name and attributes.
    fields = body.model_dump(exclude={"account_id", "phone"}, exclude_unset=True)
    contact, created = service.put_contact(contact_id, fields, body.account_id, body.phone)
    return saved(contact.to_json_dict(), created)


# --- interactions ----------------------------------------------------------------------------------------------


@app.get("/admin/interactions")
def list_interactions(
    account_id: Annotated[str | None, Query(alias="accountId")] = None,
    status: Annotated[str | None, Query()] = None,
    phone: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    found = service.list_interactions(account_id, status, phone)
    return {"items": [service.interaction_json(interaction) for interaction in found]}


@app.get("/admin/interactions/<interaction_id>")
def get_interaction(interaction_id: str) -> dict[str, Any]:
    return service.get_interaction(interaction_id)


class CloseBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    disposition: str | None = None


@app.post("/admin/interactions/<interaction_id>/close")
def close_interaction(interaction_id: str) -> dict[str, Any]:
    raw = app.current_event.json_body if app.current_event.body else {}
    body = CloseBody.model_validate(raw or {})
    return service.close_interaction(interaction_id, body.disposition)


# --- tokens ----------------------------------------------------------------------------------------------------


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    agentId: str | None = None  # noqa: N815 (SPEC.md's field name)
    role: str | None = None


@app.post("/admin/tokens")
def create_token(body: Annotated[TokenBody, Body()]) -> Response[Any]:
    token = service.issue_token(token_signing_key(), body.agentId, body.role)
    return json_response(201, {"token": token})


def _deleted(existed: bool, kind: str, identifier: str) -> Response[Any]:
    if not existed:
        raise NotFound(f"{kind} {identifier!r} not found")
    return Response(status_code=204)


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
