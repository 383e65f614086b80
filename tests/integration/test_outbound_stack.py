"""Replies through the deployed stack: the admin API stores them, the emulator's stream mapping drives the domain
consumer (functions/triggers), which enqueues them, and the SQS FIFO mapping drives functions/outbound; the sandbox
plays the provider (its API, then its own signed status callbacks)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.integration.conftest import Stack
from tests.integration.harness import eventually, outbox


def phone() -> str:
    return "+1415559" + str(uuid.uuid4().int % 10000).zfill(4)


def replies(stack: Stack, interaction_id: str) -> list[dict[str, Any]]:
    return [message for message in stack.interaction(interaction_id)["messages"] if message["direction"] == "out"]


def test_a_reply_posted_three_times_leaves_once_and_is_delivered_then_stop_blocks_until_start(stack: Stack) -> None:
    account = stack.twilio_account()
    customer = phone()
    assert stack.post_twilio(account, customer, "Is my order shipped?").status_code == 200
    [interaction] = stack.interactions(account["id"], phone=customer)
    path = f"/admin/interactions/{interaction['id']}/messages"

    posted = [stack.admin("POST", path, json={"body": "Yes, this morning.", "clientMessageId": "c-1"}) for _ in "abc"]
    assert [response.status_code for response in posted] == [202, 202, 202]
    assert len({response.json()["message"]["id"] for response in posted}) == 1
    assert posted[0].json()["message"]["segments"] == 1

    sent = eventually(lambda: outbox(stack, customer), timeout=30, what="the reply sent")
    assert [(item["from"], item["body"]) for item in sent] == [(account["phoneNumber"], "Yes, this morning.")]
    # The sandbox posts `sent` then `delivered`, signed as Twilio signs them, to the status URL of the send.
    [reply] = eventually(
        lambda: (found := replies(stack, interaction["id"])) and found[0]["status"] == "delivered" and found,
        timeout=30,
        what="the reply delivered",
    )
    assert reply["status"] == "delivered" and reply["providerMessageId"]
    # A later reply of the same interaction leaves through the same FIFO message group, so anything the first one
    # would have caused twice (a redelivered SQS message, a second enqueue) has left before it.
    later = stack.admin("POST", path, json={"body": "Anything else?", "clientMessageId": "c-later"})
    assert later.status_code == 202, later.text
    eventually(lambda: "Anything else?" in [item["body"] for item in outbox(stack, customer)], timeout=30)
    assert [item["body"] for item in outbox(stack, customer)] == ["Yes, this morning.", "Anything else?"]

    assert stack.post_twilio(account, customer, "STOP").status_code == 200
    confirmations = eventually(lambda: len(sent := outbox(stack, customer)) >= 3 and sent, timeout=30)
    assert confirmations[-1]["body"].startswith("You are unsubscribed from Integration Twilio")
    refused = stack.admin("POST", path, json={"body": "Still there?", "clientMessageId": "c-2"})
    assert refused.status_code == 422 and refused.json()["error"] == "opted_out", refused.text
    listed = stack.admin("GET", f"/admin/accounts/{account['id']}/optouts").json()["items"]
    assert [item["phone"] for item in listed] == [customer]

    assert stack.post_twilio(account, customer, "start").status_code == 200
    allowed = stack.admin("POST", path, json={"body": "Welcome back", "clientMessageId": "c-3"})
    assert allowed.status_code == 202, allowed.text
    bodies = eventually(
        lambda: "Welcome back" in (found := [item["body"] for item in outbox(stack, customer)]) and found, timeout=30
    )
    assert bodies[3].startswith("You are subscribed again") and bodies[4] == "Welcome back"


def test_a_provider_500_is_retried_and_the_reply_leaves_once(stack: Stack) -> None:
    account = stack.twilio_account()
    customer = phone()
    assert stack.post_twilio(account, customer, "hello").status_code == 200
    [interaction] = stack.interactions(account["id"], phone=customer)
    assert requests.post(f"{stack.sandbox}/faults", json={"provider": "twilio", "mode": "500"}, timeout=30).ok
    path = f"/admin/interactions/{interaction['id']}/messages"
    assert stack.admin("POST", path, json={"body": "second try", "clientMessageId": "c-1"}).status_code == 202
    sent = eventually(lambda: outbox(stack, customer), timeout=60, what="the retried reply sent")
    assert [item["body"] for item in sent] == ["second try"]
    [reply] = eventually(
        lambda: (found := replies(stack, interaction["id"])) and found[0]["status"] in ("sent", "delivered") and found,
        timeout=30,
    )
    assert reply["status"] in ("sent", "delivered")


def test_a_closed_interaction_refuses_a_reply_and_preview_counts_segments(stack: Stack) -> None:
    account = stack.twilio_account()
    customer = phone()
    assert stack.post_twilio(account, customer, "hello").status_code == 200
    [interaction] = stack.interactions(account["id"], phone=customer)
    assert stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={}).status_code == 200
    closed = stack.admin(
        "POST", f"/admin/interactions/{interaction['id']}/messages", json={"body": "late", "clientMessageId": "c"}
    )
    assert closed.status_code == 409, closed.text
    preview = stack.admin("POST", "/admin/messages/preview", json={"body": "a" * 161})
    assert preview.json() == {"encoding": "GSM-7", "segments": 2, "characters": 161, "remaining": 145}
