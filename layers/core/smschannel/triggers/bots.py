"""Bot backends of the `bot` action: Amazon Lex V2 (`RecognizeText`, session id = interaction id) and a webhook
(POST signed like callUrl, answering `{reply?, handoff?, attributes?}`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from smschannel.triggers.model import Bot
from smschannel.triggers.signing import SIGNATURE_HEADER, signature

CONNECT_TIMEOUT = 3.05
# Lex V2 says a conversation is over for us when the intent is done or failed, or the bot asks for a person.
LEX_DONE_STATES = {"Fulfilled", "ReadyForFulfillment", "Failed"}
LEX_HANDOFF_ATTRIBUTE = "handoff"


class BotError(Exception):
    """The bot could not answer (unreachable, timed out, malformed answer): the customer goes to a person."""


@dataclass(frozen=True)
class BotTurn:
    interaction_id: str
    account_id: str
    phone: str
    text: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BotAnswer:
    reply: str | None
    handoff: bool
    attributes: dict[str, str] = field(default_factory=dict)
    reason: str | None = None


class BotBackend(Protocol):
    def converse(self, bot: Bot, turn: BotTurn) -> BotAnswer: ...


class LexBackend:
    """Amazon Lex V2's runtime; one client per region, created on first use (most accounts never use Lex)."""

    def __init__(self, client_factory: Any | None = None) -> None:
        self._factory = client_factory
        self._clients: dict[str | None, Any] = {}

    def client(self, region: str | None) -> Any:
        if region not in self._clients:
            if self._factory is not None:
                self._clients[region] = self._factory(region)
            else:
                from botocore.config import Config

                from smschannel.aws_clients import lex_runtime_client

                config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=8, retries={"max_attempts": 2})
                self._clients[region] = lex_runtime_client(region, config)
        return self._clients[region]

    def converse(self, bot: Bot, turn: BotTurn) -> BotAnswer:
        from botocore.exceptions import BotoCoreError, ClientError

        session_attributes = {key: str(value) for key, value in turn.attributes.items() if value is not None}
        try:
            response = self.client(bot.region).recognize_text(
                botId=bot.bot_id,
                botAliasId=bot.bot_alias_id,
                localeId=bot.locale_id,
                sessionId=turn.interaction_id,
                text=turn.text,
                sessionState={"sessionAttributes": session_attributes},
            )
        except (ClientError, BotoCoreError) as exc:
            raise BotError(f"lex: {exc}") from exc
        texts = [
            str(message["content"])
            for message in response.get("messages") or []
            if message.get("contentType") in ("PlainText", "SSML", None) and message.get("content")
        ]
        state = response.get("sessionState") or {}
        attributes = {str(key): str(value) for key, value in (state.get("sessionAttributes") or {}).items()}
        intent = state.get("intent") or {}
        asked = attributes.get(LEX_HANDOFF_ATTRIBUTE, "").lower() in ("true", "1", "yes")
        done = intent.get("state") in LEX_DONE_STATES
        reason = "lex-session-handoff" if asked else (f"lex-intent-{intent.get('state', '').lower()}" if done else None)
        return BotAnswer(reply="\n".join(texts) or None, handoff=asked or done, attributes=attributes, reason=reason)


class WebhookBackend:
    def converse(self, bot: Bot, turn: BotTurn) -> BotAnswer:
        import requests

        assert bot.url and bot.secret
        body = json.dumps(
            {
                "interactionId": turn.interaction_id,
                "accountId": turn.account_id,
                "from": turn.phone,
                "body": turn.text,
                "attributes": turn.attributes,
            },
            separators=(",", ":"),
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(bot.secret, body)}
        try:
            response = requests.post(
                bot.url, data=body, headers=headers, timeout=(CONNECT_TIMEOUT, bot.timeout_seconds)
            )
        except requests.RequestException as exc:
            raise BotError(f"webhook bot: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise BotError(f"webhook bot answered {response.status_code}")
        try:
            answer = response.json() if response.content else {}
        except ValueError as exc:
            raise BotError("webhook bot answered something that is not JSON") from exc
        if not isinstance(answer, dict):
            raise BotError("webhook bot answer is not a JSON object")
        reply = answer.get("reply")
        attributes = answer.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise BotError("webhook bot attributes must be an object")
        handoff = bool(answer.get("handoff"))
        return BotAnswer(
            reply=str(reply) if reply else None,
            handoff=handoff,
            attributes={str(key): str(value) for key, value in attributes.items()},
            reason="webhook-handoff" if handoff else None,
        )
