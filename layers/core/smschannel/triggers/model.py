"""The trigger shape of docs/api.md (`PUT /admin/accounts/{id}/triggers/{triggerId}`) and a firing's run record."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from smschannel.models import CamelModel, mask_secret, utc_now

TriggerEvent = Literal[
    "interaction.created",
    "message.received",
    "interaction.assigned",
    "interaction.closed",
    "queue.timeout",
    "interaction.transferred",
]
TRIGGER_EVENTS: tuple[str, ...] = TriggerEvent.__args__  # type: ignore[attr-defined]

Op = Literal["equals", "notEquals", "contains", "startsWith", "regex", "in", "between"]


class ConditionRule(CamelModel):
    field: str = Field(min_length=1, max_length=100)
    op: Op
    value: Any = None
    case_sensitive: bool = False


class Conditions(CamelModel):
    match: Literal["all", "any"] = "all"
    rules: list[ConditionRule] = Field(default_factory=list, max_length=50)


class AutoReply(CamelModel):
    type: Literal["autoReply"]
    text: str = Field(min_length=1, max_length=1600)
    # `once`: at most one reply of this trigger per interaction; `always`: every firing replies.
    frequency: Literal["once", "always"] = "always"


class Route(CamelModel):
    type: Literal["route"]
    queue_id: str | None = None
    agent_id: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Route:
        if bool(self.queue_id) == bool(self.agent_id):
            raise ValueError("route needs exactly one of queueId or agentId")
        return self


class Close(CamelModel):
    type: Literal["close"]
    disposition: str | None = Field(default=None, max_length=200)


class Tag(CamelModel):
    type: Literal["tag"]
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(min_length=1, max_length=20)


class SetAttributes(CamelModel):
    type: Literal["setAttributes"]
    attributes: dict[str, str | int | float | bool | None] = Field(min_length=1, max_length=50)


class CallUrl(CamelModel):
    type: Literal["callUrl"]
    url: str = Field(min_length=8, max_length=2000)
    secret: str = Field(min_length=8, max_length=200)
    timeout_seconds: float = Field(default=5.0, gt=0, le=10)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("url must be an http(s) URL")
        return value


class OptOut(CamelModel):
    type: Literal["optOut"]


class OptIn(CamelModel):
    type: Literal["optIn"]


class Bot(CamelModel):
    """Hand the conversation to a bot until it hands off (or the customer texts the hand-off keyword)."""

    type: Literal["bot"]
    backend: Literal["lex", "webhook"]
    # lex (Lex V2 RecognizeText; session id = interaction id)
    bot_id: str | None = None
    bot_alias_id: str | None = None
    locale_id: str = "en_US"
    region: str | None = None
    # webhook (POST signed like callUrl, answers {reply?, handoff?, attributes?})
    url: str | None = None
    secret: str | None = Field(default=None, min_length=8, max_length=200)
    timeout_seconds: float = Field(default=5.0, gt=0, le=10)
    # where the interaction goes on hand-off (default: the queue it was in)
    queue_id: str | None = None
    handoff_keyword: str = Field(default="agent", min_length=1, max_length=50)
    max_turns: int = Field(default=20, ge=1, le=200)

    @model_validator(mode="after")
    def _backend_fields(self) -> Bot:
        if self.backend == "lex" and not (self.bot_id and self.bot_alias_id):
            raise ValueError("a lex bot needs botId and botAliasId")
        if self.backend == "webhook":
            if not self.url or not self.url.startswith(("https://", "http://")):
                raise ValueError("a webhook bot needs an http(s) url")
            if not self.secret:
                raise ValueError("a webhook bot needs a secret")
        return self


Action = Annotated[
    AutoReply | Route | Close | Tag | SetAttributes | CallUrl | OptOut | OptIn | Bot, Field(discriminator="type")
]


class TriggerIn(CamelModel):
    """Body of `PUT /admin/accounts/{id}/triggers/{triggerId}`."""

    name: str | None = Field(default=None, max_length=200)
    event: TriggerEvent
    conditions: Conditions = Field(default_factory=Conditions)
    actions: list[Action] = Field(min_length=1, max_length=20)
    enabled: bool = True
    # Lower runs first; with `stopProcessing` the first matching trigger wins.
    priority: int = Field(default=100, ge=0, le=100_000)
    stop_processing: bool = False
    # IANA name; overrides the account's `options.timeZone` for localTime/weekday/holiday rules.
    time_zone: str | None = None


class Trigger(TriggerIn):
    id: str
    account_id: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)

    def public(self) -> dict[str, Any]:
        """Secrets (callUrl, webhook bot) are never returned in full."""
        data = self.to_json_dict()
        for action in data["actions"]:
            if action.get("secret"):
                action["secret"] = mask_secret(action["secret"])
        return data


class ActionOutcome(CamelModel):
    type: str
    outcome: Literal["done", "skipped", "queued", "failed"]
    detail: str | None = None


class TriggerRun(CamelModel):
    """One firing of a trigger, kept for a bounded time (TTL) for "why did / didn't my trigger fire"."""

    id: str  # the stream record's event id
    trigger_id: str
    account_id: str
    event: str
    interaction_id: str | None = None
    fired_at: str = Field(default_factory=utc_now)
    actions: list[ActionOutcome] = Field(default_factory=list)
    outcome: Literal["running", "ok", "partial", "failed"] = "running"
