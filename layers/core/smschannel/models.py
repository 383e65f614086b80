"""Pydantic v2 models of everything that crosses a boundary; JSON field names are docs/api.md's camelCase."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic.alias_generators import to_camel

from smschannel.timestamps import utc_now_iso

utc_now = utc_now_iso  # the name the models and stores have always used


class CamelModel(BaseModel):
    # defer_build: a model's validator is built on its first use, not at import, so a function pays only for the
    # models its requests use (the admin API's dozen are no cold-start cost of the webhook function).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", defer_build=True)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class InteractionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"  # a private note of an agent or supervisor: stored and shown, never sent


class MessageStatus(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"


# A delivery status never moves backwards when callbacks arrive out of order.
STATUS_RANK: dict[MessageStatus, int] = {
    MessageStatus.RECEIVED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENT: 2,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
}


class AgentStatus(StrEnum):
    READY = "ready"
    PAUSED = "paused"
    OFFLINE = "offline"


STRATEGIES = ("ring-all", "round-robin", "least-busy", "longest-idle", "random")
Strategy = Literal["ring-all", "round-robin", "least-busy", "longest-idle", "random"]


OPT_OUT_STOP_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")
OPT_OUT_START_KEYWORDS = ("START", "UNSTOP", "YES")
OPT_OUT_HELP_KEYWORDS = ("HELP",)
OPT_OUT_STOP_TEXT = (
    "You are unsubscribed from {{accountName}} and will receive no more messages. Reply START to resubscribe."
)
OPT_OUT_START_TEXT = "You are subscribed again to messages from {{accountName}}. Reply STOP to unsubscribe."
OPT_OUT_HELP_TEXT = "{{accountName}}: reply STOP to unsubscribe, START to subscribe again."
SKEBBY_MESSAGE_TYPES = ("GP", "TI", "SI")


class _Options(CamelModel):
    """Options hold what the account was given, no more: `to_json_dict` writes only the keys that were set (no
    default appears in a stored account or a GET), and keys the channel does not know (provider-specific ones,
    `ai`, ...) are kept as they came. An option given as null, "" or [] is not set (its default applies, as it
    always did)."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _unset_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None and value not in ("", [])}
        return data

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class OptOutOptions(_Options):
    """`options.optOut`: the STOP/START/HELP keywords (whole messages, case ignored) and their confirmations."""

    enabled: bool = True
    stop_keywords: list[str] = Field(default_factory=lambda: list(OPT_OUT_STOP_KEYWORDS), max_length=50)
    start_keywords: list[str] = Field(default_factory=lambda: list(OPT_OUT_START_KEYWORDS), max_length=50)
    help_keywords: list[str] = Field(default_factory=lambda: list(OPT_OUT_HELP_KEYWORDS), max_length=50)
    stop_text: str = Field(default=OPT_OUT_STOP_TEXT, max_length=1600)
    start_text: str = Field(default=OPT_OUT_START_TEXT, max_length=1600)
    help_text: str = Field(default=OPT_OUT_HELP_TEXT, max_length=1600)

    @field_validator("stop_text", "start_text", "help_text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        from smschannel.templates import OPT_OUT_PLACEHOLDERS, unknown_placeholders

        unknown = unknown_placeholders(value, OPT_OUT_PLACEHOLDERS)
        if unknown:
            raise ValueError(f"unknown placeholder {{{{{unknown[0]}}}}} (known: {{{{accountName}}}})")
        return value


class AiOptions(_Options):
    """`options.ai` (docs/ai.md): conversation summaries on close and transfer, suggested replies on the desk. Off
    unless set; `modelId` one of the deployment's allowed Bedrock models (None: the template's `AiModelId`)."""

    summaries: bool = False
    suggestions: bool = False
    model_id: str | None = Field(default=None, min_length=1, max_length=200)


class AccountOptions(_Options):
    """`Account.options`: every option the channel reads, with its default. None means "the deployment's or the
    provider's own default" (named beside each)."""

    # Outbound
    max_body_length: int | None = Field(default=None, ge=1)  # None: the deployment's MAX_BODY_LENGTH
    send_rate_per_second: int | None = Field(default=None, ge=1)  # None: no per-account rate limit
    # The account's `phoneNumber` may be an alphanumeric sender id (1-11 letters, digits, spaces) instead of E.164.
    alphanumeric_sender: bool = False
    # Inbound: the public URL the provider signs (behind a proxy or a custom domain); None: the request's own URL.
    webhook_url: str | None = None
    # Provider-specific
    origination_identity: str | None = None  # aws: None means the account's phone number
    configuration_set_name: str | None = None  # aws: where delivery events are published
    message_type: str = "GP"  # skebby: GP (Classic+), TI (Classic) or SI (Basic, no custom sender)
    auth_url: str | None = None  # intelepeer: None means its public authenticate URL
    # Triggers
    auto_reply_limit: int = Field(default=5, ge=1, le=1000)  # auto-replies to one number ...
    auto_reply_window_seconds: int = Field(default=900, ge=60, le=86_400)  # ... within this window
    time_zone: str = "UTC"  # IANA name: the clock of trigger rules (localTime, weekday, holiday)
    holidays: list[str] = Field(default_factory=list)  # local dates YYYY-MM-DD
    # Compliance
    opt_out: OptOutOptions = Field(default_factory=OptOutOptions)
    # AI assist (Amazon Bedrock): off by default
    ai: AiOptions = Field(default_factory=AiOptions)

    @field_validator("webhook_url", "auth_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("is an http(s) URL")
        return value

    @field_validator("message_type")
    @classmethod
    def _skebby_type(cls, value: str) -> str:
        if value.upper() not in SKEBBY_MESSAGE_TYPES:
            raise ValueError(f"is one of {', '.join(SKEBBY_MESSAGE_TYPES)}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from smschannel.triggers.conditions import time_zone

        time_zone(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: list[str]) -> list[str]:
        from smschannel.triggers.conditions import valid_holidays

        valid_holidays(value)
        return value


class AccountIn(CamelModel):
    """Body of `PUT /admin/accounts/{id}`."""

    name: str = Field(min_length=1, max_length=200)
    provider: str = Field(min_length=1)
    phone_number: str = Field(min_length=1)
    credentials: dict[str, str] = Field(default_factory=dict)
    # In AWS, the name or ARN of a Secrets Manager secret (a JSON object in the provider's own field names)
    # holding the credentials instead of, or on top of, `credentials`.
    credentials_secret: str | None = None
    queue_id: str | None = None
    default_region: str | None = Field(default=None, min_length=2, max_length=2)
    api_base_url: str | None = None
    # XCALLY's account key: a short label shown on each of the account's interactions in the desktop's tabs.
    key: str | None = Field(default=None, min_length=1, max_length=5)
    options: AccountOptions = Field(default_factory=AccountOptions)

    @field_serializer("options")
    def _set_options_only(self, options: AccountOptions) -> dict[str, Any]:
        return options.to_json_dict()

    @field_validator("provider")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("default_region")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


class Account(AccountIn):
    id: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)

    def public(self) -> dict[str, Any]:
        """Credentials are never returned in full: each secret shows only its last four characters."""
        data = self.to_json_dict()
        data["credentials"] = {key: mask_secret(value) for key, value in self.credentials.items()}
        return data


def mask_secret(value: str) -> str:
    return "****" + value[-4:] if len(value) > 8 else "****"


class QueueAlertsIn(CamelModel):
    """A queue's threshold alerts (docs/reports.md "Alerts"), each off when null: raised once when crossed (an
    `alert.raised` dashboard frame and a message on the stack's AlertsTopic), cleared when it no longer holds."""

    # The service level of the current half hour's tile (0-1, e.g. 0.8) below this.
    service_level_below: float | None = Field(default=None, gt=0, le=1)
    # The queue's longest wait now (its oldest waiting interaction), in seconds, above this.
    longest_wait_above: int | None = Field(default=None, ge=1, le=7 * 86_400)


class QueueIn(CamelModel):
    name: str = Field(min_length=1, max_length=200)
    strategy: Strategy = "round-robin"
    agent_ids: list[str] = Field(default_factory=list)
    timeout_seconds: int | None = Field(default=None, ge=1)
    overflow_queue_id: str | None = None
    sticky_agent: bool = False
    requeue_on_unavailable: bool = False
    # The dashboard's service level: the share of interactions answered (assigned) within this many seconds.
    service_level_seconds: int = Field(default=60, ge=1, le=86_400)
    # Members beside agentIds: every agent of these teams (the union is kept in memberIds as teams change).
    team_ids: list[str] = Field(default_factory=list, max_length=100)
    # Wrap-up: the dispositions an agent picks from (none: free text), whether one is required, and the
    # after-contact-work time during which a closed interaction keeps its agent's slot (0: released at close).
    dispositions: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    disposition_required: bool = False
    wrap_up_seconds: int = Field(default=0, ge=0, le=900)
    alerts: QueueAlertsIn = Field(default_factory=QueueAlertsIn)


class Queue(QueueIn):
    id: str
    # agentIds and every agent of teamIds, written with the queue and again whenever one of its teams changes, so
    # routing reads a queue's members from the queue alone. None: a queue stored before teams (agentIds).
    member_ids: list[str] | None = None
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)

    @property
    def members(self) -> list[str]:
        return self.member_ids if self.member_ids is not None else self.agent_ids


class TeamIn(CamelModel):
    """Body of `PUT /admin/teams/{id}`: agents grouped for queues (`teamIds`), supervisors scoped to them."""

    name: str = Field(min_length=1, max_length=200)
    agent_ids: list[str] = Field(default_factory=list, max_length=500)
    supervisor_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100
    )


class Team(TeamIn):
    id: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


DEFAULT_PAUSE_REASONS = ("break", "lunch", "training")


class SettingsIn(CamelModel):
    """Body of `PUT /admin/settings`: the center-wide choices agents make on the desktop."""

    pause_reasons: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=lambda: list(DEFAULT_PAUSE_REASONS), max_length=30
    )


class Settings(SettingsIn):
    updated_at: str = Field(default_factory=utc_now)


class BlockedNumber(CamelModel):
    """A number an account will not hear from: its messages are stored but never routed, notified or answered."""

    id: str  # the phone, E.164
    account_id: str
    phone: str
    reason: str | None = Field(default=None, max_length=500)
    blocked_by: str | None = None
    created_at: str = Field(default_factory=utc_now)


class BlockIn(CamelModel):
    """Body of `PUT /admin/accounts/{id}/blocked/{phone}` (optional)."""

    reason: str | None = Field(default=None, max_length=500)


class AgentIn(CamelModel):
    name: str = Field(min_length=1, max_length=200)
    capacity: int = Field(default=3, ge=0, le=100)
    status: AgentStatus = AgentStatus.OFFLINE
    pause_reason: str | None = None


class Agent(AgentIn):
    id: str
    load: int = 0
    # Interactions closed by this agent still in wrap-up (their `wrapUpUntil` says until when): each holds one unit
    # of load until the wrap-up is submitted or its time runs out.
    wrap_ups: list[str] = Field(default_factory=list)
    last_assigned_at: str | None = None
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


class ContactIn(CamelModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = None
    notes: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=50)


class Contact(ContactIn):
    id: str
    account_id: str
    phone: str
    last_agent_id: str | None = None
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


class Media(CamelModel):
    url: str
    content_type: str | None = None


class InboundMessage(CamelModel):
    """One customer message as every provider adapter normalizes it."""

    provider: str
    provider_message_id: str = Field(min_length=1)
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    body: str = ""
    media: list[Media] = Field(default_factory=list)
    received_at: str = Field(default_factory=utc_now)
    # Concatenated SMS delivered in parts: (reference, part number, total parts).
    part: tuple[str, int, int] | None = None


class StatusUpdate(CamelModel):
    """A provider's delivery-status callback, mapped onto one status set."""

    provider: str
    provider_message_id: str
    status: MessageStatus
    error_code: str | None = None
    provider_status: str | None = None
    at: str = Field(default_factory=utc_now)


class Message(CamelModel):
    id: str
    interaction_id: str
    account_id: str
    direction: Direction
    body: str = ""
    media: list[str] = Field(default_factory=list)
    media_types: list[str | None] = Field(default_factory=list)
    status: MessageStatus
    provider_message_id: str | None = None
    from_: str = Field(alias="from")
    to: str
    created_at: str = Field(default_factory=utc_now)
    error_code: str | None = None
    client_message_id: str | None = None
    encoding: str | None = None
    segments: int | None = None
    # Outbound only: who replied ("agent:<id>", "admin", "trigger:<id>", "bot", "system"), why it failed. A note:
    # its author ("agent:<id>", or the admin caller's actor).
    sender: str | None = None
    mentions: list[str] | None = None  # a note's mentioned agent ids
    error_message: str | None = None
    sent_at: str | None = None
    # A note that records an event of the conversation (a transfer: {type, from, to, by}); None for the others.
    event: dict[str, Any] | None = None


class OptOut(CamelModel):
    """One number that asked an account to stop messaging it (by keyword, or by phone or mail via the admin API)."""

    id: str  # the phone, E.164
    account_id: str
    phone: str
    source: str  # "keyword:STOP", "admin", ...
    created_at: str = Field(default_factory=utc_now)


class Summary(CamelModel):
    """An interaction's summary (docs/ai.md): `ready` with its text and the model's token counts, or `unavailable`
    with the reason the model gave none (retried a bounded number of times). `messages` is how many messages of
    the transcript it covers: a summary never replaces one that covers more (smschannel.stores.summaries)."""

    status: Literal["ready", "unavailable"] = "ready"
    text: str | None = None
    model_id: str | None = None
    created_at: str = Field(default_factory=utc_now)
    input_tokens: int | None = None
    output_tokens: int | None = None
    reason: str | None = None
    source: str | None = None  # what asked for it: closed | transferred | regenerated
    messages: int = 0
    attempts: int | None = None


class Interaction(CamelModel):
    id: str
    account_id: str
    phone: str
    to: str | None = None
    provider: str | None = None
    status: InteractionStatus = InteractionStatus.OPEN
    queue_id: str | None = None
    agent_id: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    created_at: str = Field(default_factory=utc_now)
    closed_at: str | None = None
    disposition: str | None = None
    last_message_at: str | None = None
    message_count: int = 0
    assigned_at: str | None = None
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict)
    # While a bot has the conversation (trigger action `bot`): {triggerId, action, backend, since, turns}.
    bot: dict[str, Any] | None = None
    # Changes written by trigger actions so far: the loop guard stops evaluating triggers past a bound.
    trigger_hops: int = 0
    # The agents' floor: transfers so far and the last ({from, to, note, by, at}); wrap-up after close.
    transfers: int = 0
    last_transfer: dict[str, Any] | None = None
    first_assigned_at: str | None = None
    handle_seconds: float | None = None  # first assigned to closed
    wrap_up_until: str | None = None  # while in wrap-up: when its time runs out
    wrap_up_seconds: float | None = None  # closed to wrap-up submitted (or its time run out)
    wrapped_up_at: str | None = None
    wrap_up_notes: str | None = None
    wrap_up_expired: bool | None = None  # True: its time ran out before the agent submitted it
    last_replied_by: str | None = None  # the agent of the last reply: routing's sticky agent after the close
    # AI assist: written after the close (or a transfer) by the assist function, never on the request path.
    summary: Summary | None = None


# --- the agents' floor: canned replies and notes (smschannel.floor) -------------------------------------------------

CANNED_TEXT_MAX = 1600  # ten GSM-7 segments' worth; the filled text is measured again when rendered
NOTE_BODY_MAX = 2000
SHORTCUT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"


class CannedReplyIn(CamelModel):
    """Body of `PUT /admin/responses/{id}`: typed as `/shortcut` in the desktop; scoped to an account and/or queue
    (neither: every interaction)."""

    shortcut: str = Field(pattern=SHORTCUT_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=CANNED_TEXT_MAX)
    account_id: str | None = None
    queue_id: str | None = None

    def applies_to(self, account_id: str | None, queue_id: str | None) -> bool:
        """Usable in an interaction of this account and queue (a reply without a scope is usable everywhere)."""
        return (self.account_id is None or self.account_id == account_id) and (
            self.queue_id is None or self.queue_id == queue_id
        )


class CannedReply(CannedReplyIn):
    id: str
    created_at: str = Field(default_factory=utc_now)
    updated_at: str = Field(default_factory=utc_now)


class NoteIn(CamelModel):
    """A private note on an interaction (`POST /admin/interactions/{id}/notes`, WebSocket `addNote`)."""

    body: str = Field(min_length=1, max_length=NOTE_BODY_MAX)
    mentions: list[str] = Field(default_factory=list, max_length=20)
