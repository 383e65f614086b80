"""Trigger validation (422 naming the field), templates, signatures, and which table changes are trigger events."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from smschannel.errors import InvalidConfiguration
from smschannel.stream import StreamChange
from smschannel.templates import render
from smschannel.triggers.events import occurrences_of
from smschannel.triggers.signing import signature, verify
from smschannel.triggers.validation import parse_trigger, validate_account_options, validate_trigger

KNOWN_QUEUES = {"support", "billing"}


def check(body: dict[str, Any]) -> None:
    trigger = parse_trigger(body)
    validate_trigger(
        trigger, queue_exists=KNOWN_QUEUES.__contains__, agent_exists=lambda agent_id: agent_id == "agent-1"
    )


def base(**overrides: Any) -> dict[str, Any]:
    return {"event": "message.received", "actions": [{"type": "autoReply", "text": "Hi {{contactName}}"}], **overrides}


def test_a_full_trigger_is_accepted_with_its_defaults() -> None:
    trigger = parse_trigger(
        base(
            conditions={"match": "any", "rules": [{"field": "body", "op": "contains", "value": "bill"}]},
            actions=[
                {"type": "autoReply", "text": "#{{queuePosition}}, ~{{waitMinutes}} min", "frequency": "once"},
                {"type": "route", "queueId": "billing"},
                {"type": "tag", "tags": ["billing"]},
                {"type": "setAttributes", "attributes": {"topic": "billing", "priority": 2}},
                {"type": "callUrl", "url": "https://crm.example/hook", "secret": "s3cret-value"},
                {"type": "optOut"},
                {"type": "optIn"},
                {"type": "bot", "backend": "webhook", "url": "https://bot.example", "secret": "bot-secret"},
            ],
        )
    )
    validate_trigger(trigger, queue_exists=KNOWN_QUEUES.__contains__, agent_exists=lambda _: False)
    assert trigger.priority == 100 and trigger.stop_processing is False and trigger.enabled is True
    assert trigger.actions[7].handoff_keyword == "agent"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        (base(event="message.sent"), "event", "Input should be"),
        (base(actions=[]), "actions", "at least 1"),
        (base(actions=[{"type": "explode"}]), "actions[0].type", "does not match any of the expected tags"),
        (base(actions=[{"type": "autoReply"}]), "actions[0].text", "Field required"),
        (base(actions=[{"type": "autoReply", "text": "Hi {{name}}"}]), "actions[0].text", "unknown placeholder"),
        (base(actions=[{"type": "route", "queueId": "nowhere"}]), "actions[0].queueId", "does not exist"),
        (base(actions=[{"type": "route", "agentId": "agent-9"}]), "actions[0].agentId", "does not exist"),
        (base(actions=[{"type": "route"}]), "actions[0]", "exactly one of queueId or agentId"),
        (base(actions=[{"type": "callUrl", "url": "ftp://x.example", "secret": "12345678"}]), "actions[0].url", "http"),
        (base(actions=[{"type": "bot", "backend": "lex"}]), "actions[0]", "botId and botAliasId"),
        (
            base(actions=[{"type": "bot", "backend": "lex", "botId": "B", "botAliasId": "A", "queueId": "gone"}]),
            "actions[0].queueId",
            "does not exist",
        ),
        (base(timeZone="Europe/Atlantis"), "timeZone", "unknown time zone"),
        (
            base(conditions={"rules": [{"field": "body", "op": "regex", "value": "(["}]}),
            "conditions.rules[0].value",
            "regex",
        ),
        (
            base(conditions={"rules": [{"field": "body", "op": "like", "value": "x"}]}),
            "conditions.rules.0.op",
            "Input should be",
        ),
        (base(event="interaction.closed"), "actions[0].type", "closed interaction"),
        (base(priority=-1), "priority", "greater than or equal"),
    ],
)
def test_invalid_triggers_are_refused_naming_the_field(body: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        check(body)
    assert caught.value.status_code == 422
    assert caught.value.field == field.replace("rules.0", "rules[0]")
    assert fragment in caught.value.message


def test_account_options_are_validated() -> None:
    validate_account_options({"timeZone": "Europe/Rome", "holidays": ["2026-12-25"], "autoReplyLimit": 3})
    for options, field in (
        ({"timeZone": "Nowhere/City"}, "options.timeZone"),
        ({"holidays": ["25/12/2026"]}, "options.holidays"),
        ({"autoReplyLimit": 0}, "options.autoReplyLimit"),
        ({"autoReplyWindowSeconds": 5}, "options.autoReplyWindowSeconds"),
    ):
        with pytest.raises(InvalidConfiguration) as caught:
            validate_account_options(options)
        assert caught.value.field == field


def test_templates_fill_known_placeholders_and_compute_only_what_the_text_uses() -> None:
    computed: list[str] = []

    def position() -> int:
        computed.append("queuePosition")
        return 3

    values = {"phone": lambda: "+14155550123", "contactName": lambda: None, "queuePosition": position}
    assert render("Hi {{ contactName }}! ({{phone}})", values) == "Hi ! (+14155550123)"
    assert computed == []
    assert render("You are #{{queuePosition}} (#{{queuePosition}})", values) == "You are #3 (#3)"
    assert computed == ["queuePosition"]


def test_signature_is_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"event":"interaction.closed"}'
    expected = "sha256=" + hmac.new(b"secret-1", body, hashlib.sha256).hexdigest()
    assert signature("secret-1", body) == expected
    assert verify("secret-1", body, expected)
    assert not verify("secret-2", body, expected)
    assert not verify("secret-1", body + b" ", expected)
    assert not verify("secret-1", body, None)


# --- events -------------------------------------------------------------------------------------------------------

INTERACTION = {
    "entity": "interaction",
    "id": "int-1",
    "accountId": "acct",
    "phone": "+14155550123",
    "status": "open",
    "queueId": "support",
    "createdAt": "2026-11-25T12:00:00.000Z",
}
MESSAGE = {
    "entity": "message",
    "id": "msg-1",
    "interactionId": "int-1",
    "accountId": "acct",
    "direction": "in",
    "body": "hello",
    "status": "received",
    "from": "+14155550123",
    "to": "+15005550006",
}


def events(event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    return [each.event for each in occurrences_of(StreamChange("e1", event_name, old, new, 1795651200.0, "100"))]


def test_table_changes_map_to_trigger_events() -> None:
    assert events("INSERT", None, INTERACTION) == ["interaction.created"]
    assert events("MODIFY", INTERACTION, {**INTERACTION, "agentId": "agent-1"}) == ["interaction.assigned"]
    closed = {**INTERACTION, "agentId": "agent-1", "status": "closed"}
    assert events("MODIFY", {**INTERACTION, "agentId": "agent-1"}, closed) == ["interaction.closed"]
    timed_out = {**INTERACTION, "queueTimedOutAt": "2026-11-25T12:05:00Z", "pendingEvent": "queue.timeout"}
    assert events("MODIFY", INTERACTION, timed_out) == ["queue.timeout"]
    assert events("MODIFY", timed_out, {**timed_out, "lastMessageAt": "x"}) == []  # flagged once
    assert events("INSERT", None, MESSAGE) == ["message.received"]
    held = {**INTERACTION, "agentId": "agent-1"}
    transfer = {"type": "transferred", "from": {"agentId": "agent-1"}, "to": {"agentId": "agent-2"}, "at": "t1"}
    moved = {**held, "agentId": "agent-2", "lastTransfer": transfer, "transfers": 1}
    assert events("MODIFY", held, moved) == ["interaction.transferred"]
    assert events("MODIFY", moved, {**moved, "lastMessageAt": "x"}) == []  # once per transfer


def test_outbound_messages_and_unrelated_changes_are_not_events() -> None:
    assert events("INSERT", None, {**MESSAGE, "direction": "out", "status": "queued"}) == []
    assert events("MODIFY", INTERACTION, {**INTERACTION, "tags": ["x"], "triggerHops": 1}) == []
    assert events("REMOVE", INTERACTION, None) == []
    assert events("INSERT", None, {"entity": "agent", "id": "agent-1"}) == []


def test_account_options_errors_name_nested_fields() -> None:
    with pytest.raises(InvalidConfiguration) as caught:
        validate_account_options({"optOut": {"stopText": "{{nope}}"}})
    assert caught.value.field == "options.optOut.stopText" and "{{nope}}" in caught.value.message
