"""Environment of every function, read once at cold start into one validated model."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Names are the environment variables template.yaml sets."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    table_name: str = Field(default="sms-channel", alias="TABLE_NAME")
    archive_bucket: str = Field(default="sms-channel-archive", alias="ARCHIVE_BUCKET")
    # Local stack: the token itself; AWS: the SSM SecureString / Secrets Manager name holding it.
    admin_token: str | None = Field(default=None, alias="ADMIN_TOKEN")
    admin_token_parameter: str | None = Field(default=None, alias="ADMIN_TOKEN_PARAMETER")
    public_base_url: str | None = Field(default=None, alias="PUBLIC_BASE_URL")
    account_cache_seconds: float = Field(default=10.0, alias="ACCOUNT_CACHE_SECONDS")
    session_cache_size: int = Field(default=10_000, alias="SESSION_CACHE_SIZE")
    dedup_ttl_days: int = Field(default=30, alias="DEDUP_TTL_DAYS")
    # The WebSocket API's @connections endpoint (https://{apiId}.execute-api.{region}.amazonaws.com/{stage} in AWS,
    # {AWS_ENDPOINT_URL}/_aws/execute-api/{apiId}/{stage} in the emulator) and the URL browsers connect to.
    connections_endpoint: str | None = Field(default=None, alias="CONNECTIONS_ENDPOINT")
    websocket_url: str | None = Field(default=None, alias="WEBSOCKET_URL")
    # Outbound: the FIFO queue the sender consumes, how often a send is tried before the dead-letter queue, how
    # long a claimed send may be in flight before its outcome counts as unknown, and where status callbacks go.
    outbound_queue_url: str | None = Field(default=None, alias="OUTBOUND_QUEUE_URL")
    max_send_attempts: int = Field(default=5, alias="MAX_SEND_ATTEMPTS")
    send_claim_seconds: float = Field(default=60.0, alias="SEND_CLAIM_SECONDS")
    status_callback_base: str | None = Field(default=None, alias="STATUS_CALLBACK_BASE")
    max_body_length: int = Field(default=1600, alias="MAX_BODY_LENGTH")
    retry_base_seconds: float = Field(default=2.0, alias="RETRY_BASE_SECONDS")
    outbox_sweep_seconds: float = Field(default=60.0, alias="OUTBOX_SWEEP_SECONDS")
    # Realtime: which conversation frames supervisors get. `all` (docs/api.md: every message.created, and the
    # interaction frames, to every supervisor) or `watched` (only the conversation a supervisor has open with
    # getInteraction; the rest reaches them in the coalesced dashboard.update's feed: issue 15's cost figures).
    supervisor_frames: Literal["all", "watched"] = Field(default="all", alias="SUPERVISOR_FRAMES")
    # Triggers: where callUrl deliveries are queued, and how long a trigger's runs are kept.
    call_url_queue_url: str | None = Field(default=None, alias="CALL_URL_QUEUE_URL")
    # Reports (docs/reports.md): the facts' Firehose stream; Athena's database, workgroup and reports bucket.
    facts_stream_name: str | None = Field(default=None, alias="FACTS_STREAM_NAME")
    reports_database: str = Field(default="smschannel_reports", alias="REPORTS_DATABASE")
    reports_workgroup: str = Field(default="primary", alias="REPORTS_WORKGROUP")
    reports_bucket: str | None = Field(default=None, alias="REPORTS_BUCKET")
    reports_wait_seconds: float = Field(default=8.0, alias="REPORTS_WAIT_SECONDS")
    # The SNS topic the fan-out publishes queue threshold alerts to (docs/reports.md "Alerts"). None: frames only.
    alerts_topic_arn: str | None = Field(default=None, alias="ALERTS_TOPIC_ARN")
    # The wrap-up timers' queue (delayed messages; the triggers function consumes them). None: the sweep alone.
    wrap_up_queue_url: str | None = Field(default=None, alias="WRAP_UP_QUEUE_URL")
    trigger_run_ttl_days: int = Field(default=14, alias="TRIGGER_RUN_TTL_DAYS")
    # AI assist (docs/ai.md): the default Bedrock model (template `AiModelId`), the others an account may choose
    # (`AiMoreModelIds`, comma-separated), the optional guardrail, and the queue of summaries to write.
    ai_model_id: str = Field(default="amazon.nova-lite-v1:0", alias="AI_MODEL_ID")
    ai_more_model_ids: str = Field(default="", alias="AI_MORE_MODEL_IDS")
    ai_guardrail_id: str | None = Field(default=None, alias="AI_GUARDRAIL_ID")
    ai_guardrail_version: str = Field(default="DRAFT", alias="AI_GUARDRAIL_VERSION")
    summary_queue_url: str | None = Field(default=None, alias="SUMMARY_QUEUE_URL")
    # Identity (smschannel.identity): the user pool's issuer, where its signing keys are fetched (the issuer's
    # JWKS in AWS, the emulator's locally), the app clients whose access tokens count, and whether the static admin
    # token still opens /admin/* (break-glass: `enabled` in the local stack only, by default).
    auth_issuer: str | None = Field(default=None, alias="AUTH_ISSUER")
    auth_jwks_url: str | None = Field(default=None, alias="AUTH_JWKS_URL")
    auth_client_ids: str = Field(default="", alias="AUTH_CLIENT_IDS")
    break_glass: Literal["enabled", "disabled"] = Field(default="disabled", alias="BREAK_GLASS")
    # The pages' sign-in: the hosted sign-in's base URL (the pool's domain; the emulator locally), the pages' app
    # client, and the pages' public base URL (their redirect URIs).
    auth_signin_url: str | None = Field(default=None, alias="AUTH_SIGNIN_URL")
    pages_client_id: str | None = Field(default=None, alias="PAGES_CLIENT_ID")
    pages_base_url: str | None = Field(default=None, alias="PAGES_BASE_URL")
    audit_ttl_days: int = Field(default=400, ge=366, alias="AUDIT_TTL_DAYS")
    ticket_ttl_seconds: int = Field(default=30, ge=5, le=300, alias="TICKET_TTL_SECONDS")

    @property
    def ai_model_ids(self) -> frozenset[str]:
        """Every model an account's `options.ai.modelId` may name (the IAM policy allows these only)."""
        more = (model.strip() for model in self.ai_more_model_ids.split(","))
        return frozenset({self.ai_model_id, *(model for model in more if model)})

    @property
    def client_ids(self) -> list[str]:
        return [client for client in self.auth_client_ids.split(",") if client]

    @classmethod
    def from_env(cls) -> Settings:
        values = {
            field.alias: os.environ[field.alias]
            for field in cls.model_fields.values()
            if field.alias and os.environ.get(field.alias)
        }
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
