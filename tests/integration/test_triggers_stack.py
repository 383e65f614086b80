"""Triggers through the deployed stack: the emulator's stream mapping runs triggers then routing, the CallUrl
function consumes its SQS queue, and the sandbox plays the customer, the CRM webhook receiver and the demo bot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.demo_config import BILLING_QUEUE, TRIGGERS_ACCOUNT
from tests.integration.conftest import Stack
from tests.integration.harness import SignedReceiver, eventually, outbox


def new_phone() -> str:
    return "+1415559" + str(uuid.uuid4().int % 10000).zfill(4)


def text(stack: Stack, account_id: str, phone: str, body: str) -> None:
    response = requests.post(
        f"{stack.sandbox}/inbound", json={"accountId": account_id, "from": phone, "body": body}, timeout=120
    )
    assert response.status_code == 200 and response.json()["status"] == 200, response.text


def only_interaction(stack: Stack, account_id: str, phone: str) -> dict[str, Any]:
    [interaction] = eventually(lambda: stack.interactions(account_id, phone=phone))
    return interaction


def close_quietly(stack: Stack, interaction_id: str) -> None:
    stack.admin("POST", f"/admin/interactions/{interaction_id}/close", json={"disposition": "test"})


def put_trigger(stack: Stack, account_id: str, trigger_id: str, body: dict[str, Any]) -> requests.Response:
    return stack.admin("PUT", f"/admin/accounts/{account_id}/triggers/{trigger_id}", json=body)


def test_an_invalid_trigger_is_refused_with_a_4xx_naming_the_field(stack: Stack) -> None:
    bad_regex = {
        "event": "message.received",
        # RE2 matches in linear time and has no backreferences: this pattern cannot be compiled, so it is refused.
        "conditions": {"rules": [{"field": "body", "op": "regex", "value": r"(bill) \1"}]},
        "actions": [{"type": "close"}],
    }
    response = put_trigger(stack, TRIGGERS_ACCOUNT, "bad", bad_regex)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "conditions.rules[0].value"
    unknown_queue = {"event": "interaction.created", "actions": [{"type": "route", "queueId": "no-such-queue"}]}
    response = put_trigger(stack, TRIGGERS_ACCOUNT, "bad", unknown_queue)
    assert (response.status_code, response.json()["field"]) == (422, "actions[0].queueId")
    assert stack.admin("GET", f"/admin/accounts/{TRIGGERS_ACCOUNT}/triggers/bad").status_code == 404


def test_the_demo_routes_a_billing_question_to_the_billing_queue(stack: Stack) -> None:
    phone = new_phone()
    text(stack, TRIGGERS_ACCOUNT, phone, "Hi, a question about my bill")
    interaction = only_interaction(stack, TRIGGERS_ACCOUNT, phone)
    routed = eventually(lambda: (found := stack.interaction(interaction["id"]))["agentId"] and found)
    assert routed["queueId"] == BILLING_QUEUE and "billing" in routed["tags"], routed
    close_quietly(stack, interaction["id"])
    runs = stack.admin("GET", f"/admin/accounts/{TRIGGERS_ACCOUNT}/triggers/billing/runs").json()["items"]
    assert any(run["interactionId"] == interaction["id"] and run["outcome"] == "ok" for run in runs)


def test_a_close_action_closes_a_new_interaction_with_its_disposition_and_it_is_never_assigned(stack: Stack) -> None:
    account = stack.twilio_account(queueId="support")
    response = put_trigger(
        stack,
        account["id"],
        "stop",
        {
            "event": "interaction.created",
            "conditions": {"rules": [{"field": "body", "op": "equals", "value": "wrong number"}]},
            "actions": [{"type": "close", "disposition": "wrong-number"}],
        },
    )
    assert response.status_code == 201, response.text
    # An interaction.closed trigger runs on the close's own stream record, which comes after the new interaction's
    # (one item's records stay in order): once it has run, the new interaction's record is done with, routing too.
    seen = {"event": "interaction.closed", "actions": [{"type": "tag", "tags": ["closed-seen"]}]}
    assert put_trigger(stack, account["id"], "seen", seen).status_code == 201
    phone = new_phone()
    assert stack.post_twilio(account, phone, "Wrong number").status_code == 200
    interaction = only_interaction(stack, account["id"], phone)
    closed = eventually(lambda: (found := stack.interaction(interaction["id"]))["status"] == "closed" and found)
    assert closed and closed["disposition"] == "wrong-number" and closed["agentId"] is None, closed

    def closed_run() -> bool:
        runs = stack.admin("GET", f"/admin/accounts/{account['id']}/triggers/seen/runs").json()["items"]
        return any(run["interactionId"] == interaction["id"] for run in runs)

    eventually(closed_run, timeout=20, what="the interaction.closed trigger's run")
    assert stack.interaction(interaction["id"])["agentId"] is None


@pytest.fixture
def receiver() -> Iterator[SignedReceiver]:
    """The CRM's webhook: verifies the signature, answers 200 (401 when it does not verify)."""
    with SignedReceiver("it-crm-secret-" + uuid.uuid4().hex[:8], path="/crm") as server:
        yield server


def test_a_call_url_trigger_on_interaction_closed_posts_a_body_whose_signature_verifies(
    stack: Stack, receiver: SignedReceiver
) -> None:
    account = stack.twilio_account(queueId="support")
    hook = {"type": "callUrl", "url": receiver.url, "secret": receiver.secret}
    assert (
        put_trigger(stack, account["id"], "crm", {"event": "interaction.closed", "actions": [hook]}).status_code == 201
    )
    phone = new_phone()
    assert stack.post_twilio(account, phone, "hello").status_code == 200
    interaction = only_interaction(stack, account["id"], phone)
    closed = stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={"disposition": "resolved"})
    assert closed.status_code == 200
    eventually(lambda: receiver.posts, timeout=30, what="the CRM's call")
    [post] = receiver.posts
    payload, headers = post.json(), post.headers
    assert post.valid and headers["X-Signature"].startswith("sha256=")
    assert payload["event"] == "interaction.closed" and payload["interaction"]["id"] == interaction["id"]
    assert payload["interaction"]["disposition"] == "resolved"

    def delivered() -> bool:
        runs = stack.admin("GET", f"/admin/accounts/{account['id']}/triggers/crm/runs").json()["items"]
        return bool(runs) and runs[0]["actions"][0]["outcome"] == "done"

    assert eventually(delivered, timeout=10)


def test_the_webhook_bot_answers_first_then_hands_off_to_a_person(stack: Stack) -> None:
    phone = new_phone()
    text(stack, TRIGGERS_ACCOUNT, phone, "bot hello")
    interaction = only_interaction(stack, TRIGGERS_ACCOUNT, phone)

    def turns() -> list[str]:
        items = requests.get(f"{stack.sandbox}/bot", timeout=30).json()["items"]
        return [turn["body"] for turn in items if turn["interactionId"] == interaction["id"]]

    assert eventually(lambda: turns() == ["bot hello"]), turns()
    text(stack, TRIGGERS_ACCOUNT, phone, "what are your hours?")
    assert eventually(lambda: len(turns()) == 2), turns()
    with_bot = stack.interaction(interaction["id"])
    assert with_bot["bot"]["backend"] == "webhook" and with_bot["agentId"] is None

    text(stack, TRIGGERS_ACCOUNT, phone, "a human please")
    assigned = eventually(lambda: (found := stack.interaction(interaction["id"]))["agentId"] and found)
    assert assigned, stack.interaction(interaction["id"])
    assert assigned["bot"] is None and assigned["queueId"] == "support"
    assert assigned["attributes"]["botTurns"] == "3"
    bodies = [message["body"] for message in assigned["messages"] if message["direction"] == "in"]
    assert bodies == ["bot hello", "what are your hours?", "a human please"]  # the transcript stays
    close_quietly(stack, interaction["id"])


def test_a_keyword_auto_reply_reaches_the_outbox_once_when_the_provider_retries_the_webhook(stack: Stack) -> None:
    account = stack.twilio_account(queueId="support")
    response = put_trigger(
        stack,
        account["id"],
        "hours",
        {
            "event": "message.received",
            "conditions": {"rules": [{"field": "body", "op": "contains", "value": "hours"}]},
            "actions": [{"type": "autoReply", "text": "We are open 9-17, {{phone}}."}],
        },
    )
    assert response.status_code == 201, response.text
    farewell = {
        "event": "message.received",
        "conditions": {"rules": [{"field": "body", "op": "contains", "value": "bye"}]},
        "actions": [{"type": "autoReply", "text": "Goodbye!"}],
    }
    assert put_trigger(stack, account["id"], "bye", farewell).status_code == 201
    phone = new_phone()
    sid = "SM" + uuid.uuid4().hex
    for _ in range(3):  # the provider retries the same webhook (same MessageSid) three times
        assert stack.post_twilio(account, phone, "What are your hours?", sid=sid).status_code == 200

    eventually(lambda: outbox(stack, phone), timeout=20, what="the auto-reply at the provider")
    # A later message's auto-reply: its record follows the retries' in the interaction's stream, and its reply
    # leaves through the same FIFO message group, so a duplicate of the first reply would have been sent before it.
    assert stack.post_twilio(account, phone, "Thanks, bye").status_code == 200
    eventually(lambda: len(outbox(stack, phone)) >= 2, timeout=20, what="the later auto-reply at the provider")
    [reply, later] = outbox(stack, phone)
    assert later["body"] == "Goodbye!"
    assert reply["body"] == f"We are open 9-17, {phone}." and reply["accountId"] == account["id"]
    interaction = only_interaction(stack, account["id"], phone)
    close_quietly(stack, interaction["id"])
