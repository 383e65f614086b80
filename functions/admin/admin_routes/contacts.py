"""`/admin/contacts`: the people behind the phones, listed per account."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic.alias_generators import to_camel

from admin_routes.responses import items, saved
from smschannel.access import acting_agent
from smschannel.admin import AdminService
from smschannel.errors import Forbidden
from smschannel.http_identity import current_caller
from smschannel.models import ContactIn


class ContactBody(ContactIn):
    """A contact's editable fields; `accountId` and `phone` only when creating one by hand."""

    account_id: str | None = None
    phone: str | None = None


def contacts_router(service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()

    @router.get("/admin/contacts")
    def list_contacts(
        account_id: Annotated[str, Query(alias="accountId")], phone: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        return items(service.list_contacts(account_id, phone))

    @router.get("/admin/contacts/<contact_id>")
    def get_contact(contact_id: str) -> dict[str, Any]:
        return service.get_contact(contact_id).to_json_dict()

    @router.put("/admin/contacts/<contact_id>")
    def put_contact(contact_id: str, body: Annotated[ContactBody, Body()]) -> Response[Any]:
        # Only the fields given change: a PUT of {"notes": ...} keeps the contact's name and attributes.
        fields = body.model_dump(exclude={"account_id", "phone"}, exclude_unset=True)
        if acting_agent(current_caller(router)):
            # An agent edits the name and tags of a contact that exists, nothing else.
            others = sorted(set(body.model_fields_set) - {"name", "tags"})
            if others:
                field = to_camel(others[0])
                raise Forbidden(f"an agent edits a contact's name and tags only, not {field}", field=field)
            service.get_contact(contact_id)
        contact, created = service.put_contact(contact_id, fields, body.account_id, body.phone)
        return saved(contact.to_json_dict(), created)

    return router
