"""The admin API in-process under moto: auth, CRUD of every entity, validation errors naming the field."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import ADMIN_TOKEN, admin, call, http_event, load_function

TWILIO = {
    "name": "Acme",
    "provider": "twilio",
    "phoneNumber": "+15005550006",
    "credentials": {"accountSid": "AC" + "1" * 32, "authToken": "secret-token-value"},
}


@pytest.fixture
def fn(aws: dict[str, str]) -> ModuleType:
    return load_function("admin")


def test_health_needs_no_token(fn: ModuleType) -> None:
    status, body, _ = call(fn, http_event("GET", "/health"))
    assert (status, body) == (200, {"status": "ok"})


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {ADMIN_TOKEN}", ADMIN_TOKEN])
def test_admin_routes_need_the_bearer_token(fn: ModuleType, header: str | None) -> None:
    headers = {"authorization": header} if header else {}
    status, body, _ = call(fn, http_event("GET", "/admin/accounts", headers=headers))
    assert status == 401 and body["error"] == "unauthorized"


def test_account_crud_never_returns_credentials_in_full(fn: ModuleType) -> None:
    status, created = admin(fn, "PUT", "/admin/accounts/acme", TWILIO)
    assert status == 201
    assert created["credentials"] == {"accountSid": "****1111", "authToken": "****alue"}
    status, updated = admin(fn, "PUT", "/admin/accounts/acme", {**TWILIO, "name": "Acme Inc"})
    assert status == 200 and updated["name"] == "Acme Inc" and updated["createdAt"] == created["createdAt"]
    assert admin(fn, "GET", "/admin/accounts/acme")[1]["name"] == "Acme Inc"
    assert [item["id"] for item in admin(fn, "GET", "/admin/accounts")[1]["items"]] == ["acme"]
    assert "secret-token-value" not in str(admin(fn, "GET", "/admin/accounts"))
    assert admin(fn, "DELETE", "/admin/accounts/acme")[0] == 204
    assert admin(fn, "GET", "/admin/accounts/acme")[0] == 404
    assert admin(fn, "DELETE", "/admin/accounts/acme")[0] == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credentials": {"accountSid": "AC1"}}, "credentials.authToken"),
        ({"provider": "carrier-pigeon"}, "provider"),
        ({"phoneNumber": "not a number!"}, "phoneNumber"),
        ({"phoneNumber": "banana"}, "phoneNumber"),
        ({"phoneNumber": "banana!", "options": {"alphanumericSender": True}}, "phoneNumber"),
        ({"options": {"alphanumericSender": "sometimes"}}, "options.alphanumericSender"),
        ({"queueId": "no-such-queue"}, "queueId"),
    ],
)
def test_invalid_accounts_are_refused_naming_the_field(fn: ModuleType, change: dict[str, object], field: str) -> None:
    status, body = admin(fn, "PUT", "/admin/accounts/bad", {**TWILIO, **change})
    assert status == 422 and body["field"] == field, body


def test_an_alphanumeric_sender_id_is_stored_only_when_the_account_asks_for_it(fn: ModuleType) -> None:
    status, body = admin(fn, "PUT", "/admin/accounts/bank", {**TWILIO, "phoneNumber": "Acme Bank"})
    assert (status, body["field"]) == (422, "phoneNumber") and "alphanumericSender" in body["message"], body
    asked = {**TWILIO, "phoneNumber": "Acme Bank", "options": {"alphanumericSender": True}}
    status, body = admin(fn, "PUT", "/admin/accounts/bank", asked)
    assert (status, body["phoneNumber"], body["options"]) == (201, "Acme Bank", {"alphanumericSender": True})


def test_a_queue_naming_agents_that_do_not_exist_is_refused_naming_them(fn: ModuleType) -> None:
    assert admin(fn, "PUT", "/admin/agents/agent-1", {"name": "Ann"})[0] == 201
    queue = {"name": "Support", "agentIds": ["agent-1", "ghost", "agent-9", "ghost"]}
    status, body = admin(fn, "PUT", "/admin/queues/support", queue)
    assert (status, body["error"], body["field"]) == (422, "invalid_configuration", "agentIds"), body
    assert body["message"] == "agents 'ghost', 'agent-9' do not exist"
    assert admin(fn, "GET", "/admin/queues/support")[0] == 404
    assert admin(fn, "PUT", "/admin/queues/support", {**queue, "agentIds": ["agent-1"]})[0] == 201


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeZone": "Mars/Olympus"}, "options.timeZone"),
        ({"autoReplyLimit": "many"}, "options.autoReplyLimit"),
        ({"sendRatePerSecond": 0}, "options.sendRatePerSecond"),
        ({"webhookUrl": "ftp://proxy"}, "options.webhookUrl"),
        ({"optOut": {"stopText": "Bye from {{phone}}"}}, "options.optOut.stopText"),
    ],
)
def test_a_bad_option_is_refused_naming_the_field(fn: ModuleType, options: dict[str, object], field: str) -> None:
    status, body = admin(fn, "PUT", "/admin/accounts/bad", {**TWILIO, "options": options})
    assert status == 422 and set(body) == {"error", "message", "field"} and body["field"] == field, body
    assert admin(fn, "GET", "/admin/accounts/bad")[0] == 404


def test_options_come_back_as_given_with_no_defaults_and_unknown_keys_kept(fn: ModuleType) -> None:
    options = {"timeZone": "Europe/Rome", "optOut": {"helpText": "{accountName} aide"}, "ai": {"summaries": True}}
    assert admin(fn, "PUT", "/admin/accounts/acme", {**TWILIO, "options": options})[1]["options"] == options
    assert admin(fn, "GET", "/admin/accounts/acme")[1]["options"] == options
    assert admin(fn, "PUT", "/admin/accounts/plain", TWILIO)[1]["options"] == {}


def test_missing_required_body_fields_are_422_in_the_one_error_shape(fn: ModuleType) -> None:
    status, body = admin(fn, "PUT", "/admin/accounts/bad", {"provider": "twilio"})
    assert status == 422
    assert body == {"error": "validation_error", "message": "name: is required", "field": "name"}


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("PUT", "/admin/agents/a1", {"name": "A", "capacity": "lots"}, "capacity"),
        ("PUT", "/admin/queues/q1", {"name": ["not", "text"]}, "name"),
        ("POST", "/admin/tokens", {"agentId": 7}, "agentId"),
    ],
)
def test_every_validation_error_has_one_shape_naming_the_field(
    fn: ModuleType, method: str, path: str, payload: dict[str, object], field: str
) -> None:
    status, body = admin(fn, method, path, payload)
    assert status == 422, body
    assert set(body) == {"error", "message", "field"}
    assert body["error"] == "validation_error" and body["field"] == field
    assert body["message"].startswith(f"{field}: ")


def test_a_body_that_is_not_json_is_a_422_naming_the_body(fn: ModuleType) -> None:
    status, body = admin(fn, "PUT", "/admin/agents/a1", "{not json")
    assert status == 422
    assert body == {"error": "validation_error", "message": "the body is not valid JSON", "field": "body"}


def test_queue_and_agent_crud(fn: ModuleType) -> None:
    assert admin(fn, "PUT", "/admin/agents/agent-1", {"name": "Ann", "capacity": 2, "status": "ready"})[0] == 201
    status, queue = admin(
        fn,
        "PUT",
        "/admin/queues/support",
        {"name": "Support", "strategy": "least-busy", "agentIds": ["agent-1"], "timeoutSeconds": 60},
    )
    assert status == 201 and queue["strategy"] == "least-busy" and queue["agentIds"] == ["agent-1"]
    assert admin(fn, "PUT", "/admin/queues/bad", {"name": "B", "strategy": "whoever"})[0] == 422
    assert admin(fn, "PUT", "/admin/queues/loop", {"name": "L", "overflowQueueId": "loop"})[1]["field"] == (
        "overflowQueueId"
    )
    agent = admin(fn, "GET", "/admin/agents/agent-1")[1]
    assert (agent["capacity"], agent["status"], agent["load"]) == (2, "ready", 0)
    assert admin(fn, "PUT", "/admin/agents/agent-2", {"name": "Bo", "status": "asleep"})[0] == 422
    assert [item["id"] for item in admin(fn, "GET", "/admin/queues")[1]["items"]] == ["support"]
    assert admin(fn, "DELETE", "/admin/queues/support")[0] == 204
    assert admin(fn, "DELETE", "/admin/agents/agent-1")[0] == 204
    assert admin(fn, "GET", "/admin/agents")[1] == {"items": []}


def test_trigger_crud_validates_event_and_actions(fn: ModuleType) -> None:
    assert admin(fn, "PUT", "/admin/accounts/acme", TWILIO)[0] == 201
    trigger = {
        "event": "message.received",
        "conditions": {"match": "any", "rules": [{"field": "body", "op": "equals", "value": "STOP"}]},
        "actions": [{"type": "optOut"}, {"type": "autoReply", "text": "Bye {{phone}}"}],
        "enabled": True,
    }
    status, saved = admin(fn, "PUT", "/admin/accounts/acme/triggers/stop", trigger)
    assert status == 201 and saved["id"] == "stop" and saved["accountId"] == "acme"
    assert [item["id"] for item in admin(fn, "GET", "/admin/accounts/acme/triggers")[1]["items"]] == ["stop"]
    assert admin(fn, "PUT", "/admin/accounts/acme/triggers/x", {**trigger, "event": "nope"})[0] == 422
    assert admin(fn, "PUT", "/admin/accounts/acme/triggers/x", {**trigger, "actions": [{"type": "launch"}]})[0] == 422
    assert admin(fn, "PUT", "/admin/accounts/ghost/triggers/x", trigger)[0] == 404
    assert admin(fn, "DELETE", "/admin/accounts/acme/triggers/stop")[0] == 204
    assert admin(fn, "GET", "/admin/accounts/acme/triggers")[1] == {"items": []}


def test_contacts_can_be_created_and_edited(fn: ModuleType) -> None:
    from smschannel import keys

    assert admin(fn, "PUT", "/admin/accounts/acme", {**TWILIO, "defaultRegion": "US"})[0] == 201
    contact_id = keys.contact_id("acme", "+14155552671")
    body = {"accountId": "acme", "phone": "(415) 555-2671", "name": "Dana", "attributes": {"tier": "gold"}}
    status, contact = admin(fn, "PUT", f"/admin/contacts/{contact_id}", body)
    assert status == 201 and contact["phone"] == "+14155552671" and contact["name"] == "Dana"
    status, contact = admin(fn, "PUT", f"/admin/contacts/{contact_id}", {"notes": "VIP"})
    assert status == 200 and contact["notes"] == "VIP"
    assert admin(fn, "GET", f"/admin/contacts/{contact_id}")[1]["attributes"] == {"tier": "gold"}
    found = admin(fn, "GET", "/admin/contacts", query={"accountId": "acme", "phone": "+1 415 555 2671"})[1]
    assert [item["id"] for item in found["items"]] == [contact_id]
    assert admin(fn, "PUT", "/admin/contacts/ct-wrong", body)[1]["field"] == "id"


def test_tokens_for_agents_and_supervisors(fn: ModuleType) -> None:
    from smschannel.tokens import verify_token

    assert admin(fn, "POST", "/admin/tokens", {"agentId": "agent-9"})[0] == 404
    assert admin(fn, "PUT", "/admin/agents/agent-9", {"name": "Nine"})[0] == 201
    status, body = admin(fn, "POST", "/admin/tokens", {"agentId": "agent-9"})
    assert status == 201
    principal = verify_token(fn.token_signing_key(), body["token"])
    assert (principal.role, principal.agent_id) == ("agent", "agent-9")
    status, body = admin(fn, "POST", "/admin/tokens", {"role": "supervisor"})
    assert status == 201 and verify_token(fn.token_signing_key(), body["token"]).role == "supervisor"
    assert admin(fn, "POST", "/admin/tokens", {"role": "king"})[0] == 422


def test_interaction_queries_validate_status(fn: ModuleType) -> None:
    assert admin(fn, "PUT", "/admin/accounts/acme", TWILIO)[0] == 201
    assert admin(fn, "GET", "/admin/interactions", query={"accountId": "acme", "status": "pending"})[0] == 422
    assert admin(fn, "GET", "/admin/interactions", query={"accountId": "ghost"})[0] == 404
    assert admin(fn, "GET", "/admin/interactions/int-nope")[0] == 404


def test_an_unknown_route_is_a_404_in_the_one_error_shape(fn: ModuleType) -> None:
    status, body = admin(fn, "GET", "/admin/nothing-here")
    assert status == 404
    assert body == {"error": "not_found", "message": "no route for GET /admin/nothing-here", "field": None}


def test_an_option_stored_before_it_was_checked_falls_back_to_its_default(fn: ModuleType, aws: dict[str, str]) -> None:
    """An account written under older rules (no check on PUT) still loads: the invalid option is dropped, the
    others are kept, so its webhooks are still answered."""
    import boto3

    from smschannel import keys
    from smschannel.dynamo import to_item

    assert admin(fn, "PUT", "/admin/accounts/old", {**TWILIO, "options": {"timeZone": "Europe/Rome"}})[0] == 201
    boto3.client("dynamodb").update_item(
        TableName=aws["table"],
        Key=to_item(keys.account("old")),
        UpdateExpression="SET #o.#zone = :bad, #o.#limit = :limit",
        ExpressionAttributeNames={"#o": "options", "#zone": "timeZone", "#limit": "autoReplyLimit"},
        ExpressionAttributeValues={":bad": {"S": "Mars/Olympus_Mons"}, ":limit": {"N": "3"}},
        ConditionExpression="attribute_exists(pk)",
    )
    status, account = admin(fn, "GET", "/admin/accounts/old")
    assert status == 200 and account["options"] == {"autoReplyLimit": 3}
