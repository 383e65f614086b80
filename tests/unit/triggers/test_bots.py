"""Lex V2 backend against botocore's Stubber: what counts as a hand-off, what a failure becomes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from smschannel.triggers.bots import BotError, BotTurn, LexBackend
from smschannel.triggers.model import Bot

BOT = Bot(type="bot", backend="lex", bot_id="BOTID12345", bot_alias_id="TSTALIASID", locale_id="it_IT")
TURN = BotTurn("int-1234", "acct", "+393471234567", "ciao", {"plan": "gold", "empty": None})


def lex(response: dict[str, Any] | None = None, error: str | None = None) -> tuple[LexBackend, Stubber]:
    client = boto3.client("lexv2-runtime", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    expected = {
        "botId": "BOTID12345",
        "botAliasId": "TSTALIASID",
        "localeId": "it_IT",
        "sessionId": "int-1234",
        "text": "ciao",
        "sessionState": {"sessionAttributes": {"plan": "gold"}},
    }
    if error:
        stubber.add_client_error("recognize_text", service_error_code=error, http_status_code=400)
    else:
        stubber.add_response("recognize_text", response or {}, expected)
    stubber.activate()
    return LexBackend(client_factory=lambda region: client), stubber


def state(intent: str, attributes: dict[str, str] | None = None) -> dict[str, Any]:
    return {"intent": {"name": "Help", "state": intent}, "sessionAttributes": attributes or {}}


def test_an_intent_in_progress_answers_and_keeps_the_conversation() -> None:
    backend, stubber = lex(
        {
            "messages": [{"content": "Come posso aiutarti?", "contentType": "PlainText"}],
            "sessionState": state("InProgress"),
        }
    )
    answer = backend.converse(BOT, TURN)
    stubber.assert_no_pending_responses()
    assert (answer.reply, answer.handoff, answer.reason) == ("Come posso aiutarti?", False, None)


@pytest.mark.parametrize(
    ("intent", "attributes", "reason"),
    [
        ("Fulfilled", {}, "lex-intent-fulfilled"),
        ("Failed", {}, "lex-intent-failed"),
        ("InProgress", {"handoff": "true", "topic": "billing"}, "lex-session-handoff"),
    ],
)
def test_lex_hands_off_when_the_intent_is_done_or_the_session_asks(
    intent: str, attributes: dict[str, str], reason: str
) -> None:
    backend, _ = lex({"messages": [], "sessionState": state(intent, attributes)})
    answer = backend.converse(BOT, TURN)
    assert answer.handoff and answer.reason == reason and answer.reply is None
    assert answer.attributes == attributes


def test_a_lex_error_becomes_a_bot_error() -> None:
    backend, _ = lex(error="ResourceNotFoundException")
    with pytest.raises(BotError, match="lex"):
        backend.converse(BOT, TURN)
