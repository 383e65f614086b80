"""The triggers admin API through the admin function: save with validation (422 naming the field), read with
secrets masked, list in priority order, delete, and a trigger's runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.component.harness import World, make_world, phone, ready_queue
from tests.conftest import admin

ACCOUNT_PATH = "/admin/accounts/{account}/triggers"


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(aws, monkeypatch)


def put(world: World, trigger_id: str, body: Any) -> tuple[int, Any]:
    return admin(world.admin, "PUT", f"{ACCOUNT_PATH.format(account=world.account.id)}/{trigger_id}", body)


def test_a_trigger_is_saved_read_listed_in_priority_order_and_deleted(world: World) -> None:
    ready_queue(world)
    hook = {"type": "callUrl", "url": "https://crm.example/hook", "secret": "a-long-shared-secret"}
    status, saved = put(world, "crm", {"event": "interaction.closed", "actions": [hook], "priority": 50})
    assert status == 201, saved
    assert saved["id"] == "crm" and saved["accountId"] == world.account.id and saved["enabled"] is True
    assert saved["actions"][0]["secret"] == "****cret"  # never returned in full
    status, again = put(world, "crm", {"event": "interaction.closed", "actions": [hook], "priority": 5})
    assert status == 200 and again["createdAt"] == saved["createdAt"]
    assert (
        put(world, "welcome", {"event": "interaction.created", "actions": [{"type": "autoReply", "text": "Hi"}]})[0]
        == 201
    )

    base = ACCOUNT_PATH.format(account=world.account.id)
    status, listed = admin(world.admin, "GET", base)
    assert status == 200 and [item["id"] for item in listed["items"]] == ["crm", "welcome"]
    status, one = admin(world.admin, "GET", f"{base}/crm")
    assert status == 200 and one["priority"] == 5
    assert admin(world.admin, "DELETE", f"{base}/crm")[0] == 204
    assert admin(world.admin, "DELETE", f"{base}/crm")[0] == 404
    assert admin(world.admin, "GET", f"{base}/crm")[0] == 404
    assert admin(world.admin, "GET", ACCOUNT_PATH.format(account="nobody"))[0] == 404
    assert put(world, "x", {"event": "interaction.created", "actions": [{"type": "close"}]})[0] == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event": "interaction.created", "actions": [{"type": "route", "queueId": "nowhere"}]}, "actions[0].queueId"),
        (
            {
                "event": "message.received",
                "conditions": {"rules": [{"field": "body", "op": "regex", "value": r"(bill) \1"}]},
                "actions": [{"type": "close"}],
            },
            "conditions.rules[0].value",
        ),
        ({"event": "message.received", "timeZone": "Moon/Base", "actions": [{"type": "close"}]}, "timeZone"),
        ({"event": "message.received", "actions": [{"type": "fly"}]}, "actions[0].type"),
        ({"event": "nope", "actions": [{"type": "close"}]}, "event"),
        (None, "event"),
    ],
)
def test_an_invalid_trigger_is_refused_with_422_naming_the_field(world: World, body: Any, field: str) -> None:
    status, refused = put(world, "bad", body)
    assert status == 422, refused
    assert refused["error"] == "invalid_configuration" and refused["field"] == field and refused["message"]
    assert admin(world.admin, "GET", f"{ACCOUNT_PATH.format(account=world.account.id)}/bad")[0] == 404


def test_a_regex_is_stored_unless_re2_cannot_compile_it_and_the_422_says_why(world: World) -> None:
    def trigger(pattern: str) -> dict[str, Any]:
        rules = [{"field": "body", "op": "regex", "value": pattern}]
        return {"event": "message.received", "conditions": {"rules": rules}, "actions": [{"type": "close"}]}

    assert put(world, "nested", trigger("^(a+)+$"))[0] == 201  # linear in RE2: nothing to refuse
    status, refused = put(world, "lookahead", trigger("(?=.*refund)order"))
    assert (status, refused["field"]) == (422, "conditions.rules[0].value")
    assert "no lookarounds" in refused["message"] and "(?=" in refused["message"], refused


def test_an_account_with_an_unknown_time_zone_is_refused(world: World) -> None:
    body = {
        "name": "Zoned",
        "provider": "twilio",
        "phoneNumber": "+15005550006",
        "credentials": {"accountSid": "AC" + "1" * 32, "authToken": "token-1234567"},
        "options": {"timeZone": "Europe/Nowhere"},
    }
    status, refused = admin(world.admin, "PUT", "/admin/accounts/zoned", body)
    assert (status, refused["field"]) == (422, "options.timeZone")
    body["options"] = {"timeZone": "Europe/Rome", "holidays": ["2026-12-25"]}
    assert admin(world.admin, "PUT", "/admin/accounts/zoned", body)[0] == 201


def test_runs_say_when_which_interaction_which_actions_and_the_outcome(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    status, _ = put(
        world,
        "tagger",
        {
            "event": "message.received",
            "conditions": {"rules": [{"field": "body", "op": "contains", "value": "order"}]},
            "actions": [{"type": "tag", "tags": ["orders"]}, {"type": "route", "queueId": "support"}],
        },
    )
    assert status == 201
    world.engine._triggers.clear()
    first = world.sms(phone(30), "my order is late")
    world.sms(phone(31), "hello")
    second = world.sms(phone(32), "ORDER 42")
    world.pump()
    status, runs = admin(world.admin, "GET", f"{ACCOUNT_PATH.format(account=world.account.id)}/tagger/runs")
    assert status == 200
    assert [run["interactionId"] for run in runs["items"]] == [second.interaction_id, first.interaction_id]
    run = runs["items"][0]
    assert run["event"] == "message.received" and run["outcome"] == "ok" and run["firedAt"]
    assert run["actions"] == [
        {"type": "tag", "outcome": "done", "detail": None},
        {"type": "route", "outcome": "done", "detail": "queue support"},
    ]
