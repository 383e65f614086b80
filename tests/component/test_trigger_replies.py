"""Trigger actions through outbound's reply and opt-out list, under moto: auto-replies (templates, once/always,
rate limit, no loops, redelivery), opt-out/opt-in, and the bot's answers as the interaction's transcript."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smschannel.models import AccountOptions
from tests.component.harness import SignedReceiver, World, make_world, phone, ready_queue, stream_event, webhook_bot


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(aws, monkeypatch)


@pytest.fixture
def bot_server() -> Iterator[SignedReceiver]:
    with webhook_bot("bot-secret-123") as server:
        yield server


def outbound(world: World, interaction_id: str) -> list[dict[str, Any]]:
    items = world.table.query_all(
        None, "pk", f"INTERACTION#{interaction_id}", sk_condition=" AND begins_with(sk, :p)", values={":p": "MESSAGE#"}
    )
    return [item for item in items if item["direction"] == "out"]


def test_a_welcome_reply_fills_its_template_and_is_queued_once_through_outbound(world: World) -> None:
    ready_queue(world, "support", "agent-1")
    world.agent("agent-1", capacity=0)  # nobody has room: the customer waits, and is told their place
    world.use_queue("support")
    world.trigger(
        "welcome",
        event="interaction.created",
        actions=[
            {
                "type": "autoReply",
                "text": "Hi {{contactName}}! {{accountName}} here; you are number {{queuePosition}} ({{phone}}).",
                "frequency": "once",
            }
        ],
    )
    first = world.sms(phone(40), "hello")
    world.pump()
    second = world.sms(phone(41), "hello")
    world.sms(phone(41), "anyone?")
    world.pump()
    [reply] = outbound(world, first.interaction_id)
    assert reply["body"] == f"Hi ! Routing test here; you are number 1 ({phone(40)})."
    assert reply["status"] == "queued" and reply["sender"] == "trigger:welcome"
    [second_reply] = outbound(world, second.interaction_id)
    assert second_reply["body"].endswith(f"you are number 2 ({phone(41)}).")
    # Each came back on the stream to the same function, which put it on the outbound queue, once.
    queued = sorted(item["messageId"] for item in world.queued_replies())
    assert queued == sorted([reply["id"], second_reply["id"]])


def test_once_replies_once_per_interaction_and_always_replies_every_time(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "once", event="message.received", actions=[{"type": "autoReply", "text": "once", "frequency": "once"}]
    )
    world.trigger("always", event="message.received", actions=[{"type": "autoReply", "text": "always"}])
    number = phone(42)
    outcome = world.sms(number, "one")
    world.sms(number, "two")
    world.sms(number, "three")
    world.pump()
    bodies = sorted(item["body"] for item in outbound(world, outcome.interaction_id))
    assert bodies == ["always", "always", "always", "once"]
    once_runs = world.runs("once")
    assert len(once_runs) == 3
    assert sorted(run["actions"][0]["outcome"] for run in once_runs) == ["done", "skipped", "skipped"]


def test_auto_replies_to_one_number_are_rate_limited_per_account(world: World) -> None:
    ready_queue(world)
    world.account = world.account.model_copy(update={"options": AccountOptions(auto_reply_limit=2)})
    world.use_queue("support")
    world.trigger("echo", event="message.received", actions=[{"type": "autoReply", "text": "got it"}])
    number = phone(43)
    outcome = world.sms(number, "1")
    for body in ("2", "3", "4"):
        world.sms(number, body)
    world.pump()
    assert len(outbound(world, outcome.interaction_id)) == 2
    skipped = [run for run in world.runs("echo") if run["actions"][0]["outcome"] == "skipped"]
    assert len(skipped) == 2 and "rate limited" in skipped[0]["actions"][0]["detail"]


def test_an_auto_reply_never_sets_off_another_trigger(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    # Every message event replies, and every event of any kind tags: a reply that counted as an event would loop.
    world.trigger("echo", event="message.received", actions=[{"type": "autoReply", "text": "echo"}])
    for event in ("interaction.assigned", "interaction.created"):
        world.trigger(f"tag-{event}", event=event, actions=[{"type": "tag", "tags": [event]}])
    outcome = world.sms(phone(44), "hello")
    world.pump()
    world.pump()
    assert [item["body"] for item in outbound(world, outcome.interaction_id)] == ["echo"]
    assert len(world.runs("echo")) == 1
    assert world.interaction(outcome.interaction_id)["triggerHops"] <= 2


def test_a_redelivered_message_record_replies_once(world: World) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger("echo", event="message.received", actions=[{"type": "autoReply", "text": "echo"}])
    outcome = world.sms(phone(45), "hello")
    world.pump()
    message_records = [r for r in world.delivered if r["dynamodb"]["NewImage"]["entity"]["S"] == "message"]
    world.engine._triggers.clear()
    for _ in range(3):
        assert world.invoke(stream_event(message_records)) == {"batchItemFailures": []}
    assert len(outbound(world, outcome.interaction_id)) == 1
    assert len(world.runs("echo")) == 1


def test_opt_out_and_opt_in_actions_use_outbounds_list_and_an_opted_out_number_gets_no_auto_reply(world: World) -> None:
    from smschannel.stores.optouts import OptOutStore

    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "unsubscribe",
        event="message.received",
        priority=1,
        stopProcessing=True,
        conditions={"rules": [{"field": "body", "op": "equals", "value": "no more texts"}]},
        actions=[{"type": "optOut"}, {"type": "autoReply", "text": "should not be sent"}],
    )
    world.trigger(
        "resubscribe",
        event="message.received",
        priority=2,
        conditions={"rules": [{"field": "body", "op": "equals", "value": "texts again please"}]},
        actions=[{"type": "optIn"}, {"type": "autoReply", "text": "welcome back"}],
    )
    optouts = OptOutStore(world.table)
    number = phone(46)
    outcome = world.sms(number, "no more texts")
    world.pump()
    assert optouts.is_opted_out(world.account.id, number)
    [run] = world.runs("unsubscribe")
    assert [action["outcome"] for action in run["actions"]] == ["done", "skipped"]
    assert outbound(world, outcome.interaction_id) == []
    world.sms(number, "texts again please")
    world.pump()
    assert not optouts.is_opted_out(world.account.id, number)
    assert [item["body"] for item in outbound(world, outcome.interaction_id)] == ["welcome back"]


def test_the_bots_answers_go_out_through_outbound_and_stay_as_the_transcript(
    world: World, bot_server: SignedReceiver
) -> None:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "bot",
        event="interaction.created",
        actions=[{"type": "bot", "backend": "webhook", "url": bot_server.url, "secret": bot_server.secret}],
    )
    number = phone(47)
    outcome = world.sms(number, "hi")
    world.pump()
    world.sms(number, "a human please")
    world.pump()
    replies = outbound(world, outcome.interaction_id)
    assert [item["body"] for item in replies] == ["bot heard: hi", "bot heard: a human please"]
    assert {item["sender"] for item in replies} == {"bot"}
    assert world.interaction(outcome.interaction_id)["agentId"] == "agent-1"
