"""The trigger engine end to end under moto: real inbound writes, the table's real stream replayed into
functions/triggers/app.py in the Lambda event shape (triggers, then routing, per record), assertions on the table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from smschannel.triggers.bots import LexBackend
from smschannel.triggers.service import MAX_TRIGGER_HOPS
from tests.component.harness import (
    SignedReceiver,
    World,
    later,
    make_world,
    phone,
    ready_queue,
    stream_event,
    webhook_bot,
)


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(aws, monkeypatch)


# --- order with routing ---------------------------------------------------------------------------------------


def test_a_trigger_closing_a_new_interaction_leaves_it_unassigned(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "spam",
        event="interaction.created",
        conditions={"rules": [{"field": "body", "op": "regex", "value": r"\bwin\b.*\bprize\b"}]},
        actions=[{"type": "tag", "tags": ["spam"]}, {"type": "close", "disposition": "spam"}],
    )
    spam = world.sms(phone(1), "You WIN a free prize")
    normal = world.sms(phone(2), "hello")
    world.pump()

    closed = world.interaction(spam.interaction_id)
    assert (closed["status"], closed["disposition"], closed.get("agentId")) == ("closed", "spam", None)
    assert closed["tags"] == ["spam"] and "queuePartition" not in closed
    assert world.agent_item("agent-1")["load"] == 1  # only the normal one
    assert world.interaction(normal.interaction_id)["agentId"] == "agent-1"
    [run] = world.runs("spam")
    assert run["interactionId"] == spam.interaction_id and run["outcome"] == "ok"
    assert [action["type"] for action in run["actions"]] == ["tag", "close"]


def test_a_keyword_routes_a_new_interaction_to_its_queue_before_assignment(world: World) -> None:
    ready_queue(world, "support", "agent-1")
    ready_queue(world, "billing", "agent-b")
    world.use_queue("support")
    world.trigger(
        "billing",
        event="interaction.created",
        conditions={"rules": [{"field": "body", "op": "contains", "value": "billing"}]},
        actions=[{"type": "route", "queueId": "billing"}],
    )
    billing = world.sms(phone(3), "A question about BILLING")
    world.pump()
    item = world.interaction(billing.interaction_id)
    assert (item["queueId"], item["agentId"]) == ("billing", "agent-b")
    assert world.agent_item("agent-1")["load"] == 0


def test_a_route_to_an_agent_assigns_them_directly(world: World) -> None:
    world.agent("agent-1", capacity=3)
    world.agent("vip-agent", capacity=3)
    world.queue("support", agentIds=["agent-1", "vip-agent"], strategy="longest-idle")
    world.use_queue("support")
    world.trigger(
        "vip",
        event="interaction.created",
        conditions={"rules": [{"field": "from", "op": "in", "value": [phone(4)]}]},
        actions=[{"type": "route", "agentId": "vip-agent"}],
    )
    outcome = world.sms(phone(4))
    world.pump()
    assert world.interaction(outcome.interaction_id)["agentId"] == "vip-agent"


def test_priority_and_stop_processing_let_the_first_matching_trigger_win(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger("general", event="message.received", priority=20, actions=[{"type": "tag", "tags": ["general"]}])
    world.trigger(
        "urgent",
        event="message.received",
        priority=10,
        stopProcessing=True,
        conditions={"rules": [{"field": "body", "op": "startsWith", "value": "urgent"}]},
        actions=[{"type": "tag", "tags": ["urgent"]}],
    )
    world.trigger(
        "disabled", event="message.received", priority=1, enabled=False, actions=[{"type": "tag", "tags": ["x"]}]
    )
    urgent = world.sms(phone(5), "Urgent: help")
    calm = world.sms(phone(6), "whenever you can")
    world.pump()
    assert world.interaction(urgent.interaction_id)["tags"] == ["urgent"]
    assert world.interaction(calm.interaction_id)["tags"] == ["general"]
    assert len(world.runs("urgent")) == 1 and len(world.runs("general")) == 1 and world.runs("disabled") == []


def test_tag_and_set_attributes_write_the_interaction(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "classify",
        event="message.received",
        conditions={"match": "any", "rules": [{"field": "body", "op": "in", "value": ["refund", "return"]}]},
        actions=[
            {"type": "tag", "tags": ["refunds", "refunds"]},
            {"type": "setAttributes", "attributes": {"topic": "refund", "n": 2}},
        ],
    )
    outcome = world.sms(phone(7), "Refund")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item["tags"] == ["refunds"] and item["attributes"] == {"topic": "refund", "n": 2}


# --- semantics ------------------------------------------------------------------------------------------------


def test_a_redelivered_record_fires_each_trigger_once(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "crm",
        event="interaction.created",
        actions=[{"type": "callUrl", "url": "http://127.0.0.1:9/hook", "secret": "crm-secret-1"}],
    )
    outcome = world.sms(phone(8))
    world.pump()
    created = [
        r
        for r in world.delivered
        if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["entity"]["S"] == "interaction"
    ]
    # The stream delivers the same record again (a retried batch), twice, and in a batch of its own.
    for _ in range(2):
        assert world.invoke(stream_event(created)) == {"batchItemFailures": []}
    world.pump()
    [run] = world.runs("crm")
    assert run["id"] == created[0]["eventID"] and run["interactionId"] == outcome.interaction_id
    [call] = world.queued_calls()
    assert call["eventId"] == created[0]["eventID"]
    assert world.agent_item("agent-1")["load"] == 1  # and it was assigned once


def test_the_loop_guard_stops_triggers_that_keep_answering_each_others_changes(world: World) -> None:
    ready_queue(world, "ping", "agent-1")
    ready_queue(world, "pong", "agent-2")
    world.use_queue("ping")
    # Each assignment in one queue moves the interaction to the other: without a guard this never ends.
    world.trigger(
        "to-pong",
        event="interaction.assigned",
        conditions={"rules": [{"field": "queueId", "op": "equals", "value": "ping"}]},
        actions=[{"type": "route", "queueId": "pong"}],
    )
    world.trigger(
        "to-ping",
        event="interaction.assigned",
        conditions={"rules": [{"field": "queueId", "op": "equals", "value": "pong"}]},
        actions=[{"type": "route", "queueId": "ping"}],
    )
    outcome = world.sms(phone(9))
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item["triggerHops"] == MAX_TRIGGER_HOPS
    assert item["agentId"] in ("agent-1", "agent-2")
    assert world.agent_item("agent-1")["load"] + world.agent_item("agent-2")["load"] == 1
    assert len(world.runs("to-pong")) + len(world.runs("to-ping")) == MAX_TRIGGER_HOPS


def test_queue_timeout_and_interaction_closed_events_fire(world: World) -> None:
    world.agent("only", capacity=1, status="offline")
    world.queue("lonely", agentIds=["only"], timeoutSeconds=30)
    world.use_queue("lonely")
    world.trigger("late", event="queue.timeout", actions=[{"type": "tag", "tags": ["waited-too-long"]}])
    world.trigger(
        "closed",
        event="interaction.closed",
        conditions={"rules": [{"field": "disposition", "op": "equals", "value": "resolved"}]},
        actions=[{"type": "callUrl", "url": "http://127.0.0.1:9/closed", "secret": "crm-secret-2"}],
    )
    outcome = world.sms(phone(10))
    world.pump()
    world.triggers.consumer.routing.clock = lambda: later(31)
    assert world.sweep()["timedOut"] == 1
    world.pump()
    assert world.interaction(outcome.interaction_id)["tags"] == ["waited-too-long"]
    world.interactions.close_interaction(outcome.interaction_id, "resolved")
    world.pump()
    [call] = world.queued_calls()
    body = json.loads(call["body"])
    assert body["event"] == "interaction.closed" and body["interaction"]["disposition"] == "resolved"


# --- bots -----------------------------------------------------------------------------------------------------


@pytest.fixture
def bot_server() -> Iterator[SignedReceiver]:
    with webhook_bot("bot-secret-123") as server:
        yield server


def test_a_webhook_bot_holds_the_conversation_until_it_hands_off_then_routing_assigns_it(
    world: World, bot_server: SignedReceiver
) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "bot",
        event="interaction.created",
        actions=[{"type": "bot", "backend": "webhook", "url": bot_server.url, "secret": bot_server.secret}],
    )
    number = phone(11)
    outcome = world.sms(number, "hi there")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item["bot"]["triggerId"] == "bot" and item.get("agentId") is None and "queuePartition" not in item
    assert [turn.json()["body"] for turn in bot_server.received] == ["hi there"]

    world.sms(number, "what are your hours?")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item.get("agentId") is None and item["attributes"] == {"turns": "2"}
    assert world.sweep()["assigned"] == 0  # a bot interaction is in no waiting list

    world.sms(number, "I want a human")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert "bot" not in item and item["agentId"] == "agent-1" and item["botHandoff"] == "webhook-handoff"
    assert [turn.json()["body"] for turn in bot_server.received] == [
        "hi there",
        "what are your hours?",
        "I want a human",
    ]


def test_the_customer_texting_agent_hands_off_without_asking_the_bot(world: World, bot_server: SignedReceiver) -> None:
    ready_queue(world)
    ready_queue(world, "humans", "agent-h")
    world.use_queue("support")
    world.trigger(
        "bot",
        event="interaction.created",
        actions=[
            {
                "type": "bot",
                "backend": "webhook",
                "url": bot_server.url,
                "secret": bot_server.secret,
                "queueId": "humans",
            }
        ],
    )
    number = phone(12)
    outcome = world.sms(number, "hello")
    world.pump()
    world.sms(number, " AGENT ")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert (item["queueId"], item["agentId"], item["botHandoff"]) == ("humans", "agent-h", "customer-asked")
    assert len(bot_server.received) == 1


def test_an_unreachable_bot_hands_the_customer_to_a_person(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "bot",
        event="interaction.created",
        actions=[{"type": "bot", "backend": "webhook", "url": "http://127.0.0.1:9/down", "secret": "bot-secret-123"}],
    )
    outcome = world.sms(phone(13), "hello")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item["agentId"] == "agent-1" and item["botHandoff"] == "bot-error"


def lex_response(text: str, intent_state: str, attributes: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "messages": [{"content": text, "contentType": "PlainText"}],
        "sessionState": {
            "dialogAction": {"type": "Close" if intent_state == "Fulfilled" else "ElicitSlot", "slotToElicit": "Order"},
            "intent": {"name": "OrderStatus", "state": intent_state, "slots": {}},
            "sessionAttributes": attributes or {},
        },
        "sessionId": "session-from-lex",
    }


def test_a_lex_bot_converses_with_the_interaction_as_session_and_hands_off_when_the_intent_is_fulfilled(
    world: World,
) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "lex",
        event="interaction.created",
        actions=[
            {"type": "bot", "backend": "lex", "botId": "BOTID12345", "botAliasId": "TSTALIASID", "localeId": "en_US"}
        ],
    )
    client = boto3.client("lexv2-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    number = phone(14)
    outcome = world.sms(number, "where is my order")
    session = outcome.interaction_id
    expected = {"botId": "BOTID12345", "botAliasId": "TSTALIASID", "localeId": "en_US", "sessionId": session}
    stubber.add_response(
        "recognize_text",
        lex_response("What is the order number?", "InProgress"),
        {**expected, "text": "where is my order", "sessionState": {"sessionAttributes": {}}},
    )
    stubber.add_response(
        "recognize_text",
        lex_response("It ships today. Connecting you to an agent.", "Fulfilled", {"order": "1234"}),
        {**expected, "text": "1234", "sessionState": {"sessionAttributes": {}}},
    )
    stubber.activate()
    world.engine.bots["lex"] = LexBackend(client_factory=lambda region: client)

    world.pump()
    assert world.interaction(session).get("agentId") is None
    world.sms(number, "1234")
    world.pump()
    stubber.assert_no_pending_responses()
    item = world.interaction(session)
    assert item["agentId"] == "agent-1" and item["botHandoff"] == "lex-intent-fulfilled"
    assert item["attributes"] == {"order": "1234"}


def test_a_conversation_whose_bot_trigger_is_deleted_goes_to_a_person_on_the_next_message(
    world: World, bot_server: SignedReceiver
) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "bot",
        event="interaction.created",
        actions=[{"type": "bot", "backend": "webhook", "url": bot_server.url, "secret": bot_server.secret}],
    )
    number = phone(15)
    outcome = world.sms(number, "hello")
    world.pump()
    assert world.interaction(outcome.interaction_id)["bot"]
    world.store.delete_trigger(world.account.id, "bot")
    world.engine._triggers.clear()
    world.sms(number, "anyone there?")
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert (item["agentId"], item["botHandoff"]) == ("agent-1", "bot-removed") and "bot" not in item
    assert len(bot_server.received) == 1


def test_a_redelivered_new_interaction_stays_where_its_triggers_put_it(
    world: World, bot_server: SignedReceiver
) -> None:
    # support has no agent with room, billing has one: a stale image (queue support) must not be routed again.
    world.agent("busy", capacity=0)
    world.queue("support", agentIds=["busy"])
    world.agent("agent-b", capacity=0)
    world.queue("billing", agentIds=["agent-b"])
    world.use_queue("support")
    world.trigger(
        "billing",
        event="interaction.created",
        conditions={"rules": [{"field": "body", "op": "contains", "value": "bill"}]},
        actions=[{"type": "route", "queueId": "billing"}],
    )
    world.trigger(
        "bot",
        event="interaction.created",
        conditions={"rules": [{"field": "body", "op": "startsWith", "value": "bot"}]},
        actions=[{"type": "bot", "backend": "webhook", "url": bot_server.url, "secret": bot_server.secret}],
    )
    billing = world.sms(phone(16), "my bill")
    with_bot = world.sms(phone(17), "bot please")
    world.pump()
    assert world.interaction(billing.interaction_id)["queuePartition"].startswith("QUEUE#billing#WAITING#")
    created = [
        r
        for r in world.delivered
        if r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["entity"]["S"] == "interaction"
    ]
    world.agent("busy", capacity=3)  # support has room now: a replay trusting the image would assign both there
    world.pump()
    for _ in range(2):
        assert world.invoke(stream_event(created)) == {"batchItemFailures": []}
    world.pump()
    moved = world.interaction(billing.interaction_id)
    assert moved["queueId"] == "billing" and moved.get("agentId") is None
    assert moved["queuePartition"].startswith("QUEUE#billing#WAITING#")
    held = world.interaction(with_bot.interaction_id)
    assert held["bot"] and held.get("agentId") is None and "queuePartition" not in held
    assert world.agent_item("busy")["load"] == 0
