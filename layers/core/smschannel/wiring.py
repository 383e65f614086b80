"""Where every function's services and stores are built: one function per Lambda function, called once by its
handler module at import (a cold start), so a fresh import (a new container, or a test's) gets fresh objects.

Each builder imports what its function needs only: a function pays at cold start for its own modules, not for
the others' (the pages never import a provider adapter, the fan-out never imports the sender).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from smschannel.dynamo import Table
from smschannel.settings import Settings, get_settings

if TYPE_CHECKING:
    from smschannel.account_cache import AccountCache
    from smschannel.admin import AdminService
    from smschannel.assist.model import ConverseModel
    from smschannel.assist.suggestions import SuggestionService
    from smschannel.assist.summaries import SummaryConsumer, SummaryRequests
    from smschannel.domain_consumer import DomainConsumer
    from smschannel.floor.stream import FloorOnStream
    from smschannel.floor.wrapup import WrapUpService, WrapUpTimerConsumer
    from smschannel.identity import AccessTokenVerifier, Authenticator
    from smschannel.inbound import InboundService
    from smschannel.models import Message
    from smschannel.outbound.consumer import OutboundConsumer
    from smschannel.outbound.service import OutboundService
    from smschannel.pages import Pages
    from smschannel.realtime.agent_desk import AgentDesk
    from smschannel.realtime.fanout_batch import FanOutConsumer
    from smschannel.realtime.handshake import Handshake
    from smschannel.realtime.tickets import WebSocketTickets
    from smschannel.realtime.websocket import WebSocketRoutes
    from smschannel.reports.queries import ReportRunner
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.triggers.callurl_queue import CallUrlConsumer
    from smschannel.triggers.service import TriggerEngine


def _table(settings: Settings) -> Table:
    return Table(settings.table_name)


def _accounts(settings: Settings, table: Table) -> AccountCache:
    from smschannel.account_cache import AccountCache
    from smschannel.stores.configuration import ConfigurationStore

    return AccountCache(ConfigurationStore(table), settings.account_cache_seconds)


def _replies(settings: Settings, table: Table) -> OutboundService:
    """The reply use case (agents, admin, auto-replies, compliance answers)."""
    from smschannel.outbound.service import OutboundService

    return OutboundService(table, _accounts(settings, table), settings.max_body_length)


class _RepliesOnFirstUse:
    """The reply use case, built on the first reply: the trigger engine replies only when an auto-reply or a bot
    fires, and the domain consumer's cold start does not import outbound's modules for it."""

    def __init__(self, build: Callable[[], OutboundService]) -> None:
        self._build = build
        self._replies: OutboundService | None = None

    def reply(
        self, interaction_id: str, body: str, client_message_id: str, *, media: list[str] | None = None, sender: str
    ) -> Message:
        if self._replies is None:
            self._replies = self._build()
        return self._replies.reply(interaction_id, body, client_message_id, media=media, sender=sender)


def admin_service(actor: Callable[[], str]) -> AdminService:
    """The admin use cases, each change audited as done by `actor()` (the signed-in caller of the request)."""
    from smschannel.admin import AdminService
    from smschannel.audit import AuditTrail
    from smschannel.stores.audit import AuditStore
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.contacts import ContactStore
    from smschannel.stores.interactions import InteractionStore

    settings = get_settings()
    table = _table(settings)
    configuration = ConfigurationStore(table)
    return AdminService(
        configuration,
        ContactStore(table),
        InteractionStore(table),
        replies=_replies(settings, table),
        audit=AuditTrail(AuditStore(table, settings.audit_ttl_days), actor),
        ai_model_ids=settings.ai_model_ids,
        summaries=summary_requests(settings, configuration),
    )


def summary_requests(settings: Settings, configuration: ConfigurationStore) -> SummaryRequests | None:
    """The summary queue's producer (the domain consumer's and the admin API's regenerate); None without a queue."""
    if not settings.summary_queue_url:
        return None
    from smschannel.assist.summaries import AiOptionsCache, SummaryRequests
    from smschannel.aws_clients import sqs_client

    return SummaryRequests(sqs_client, settings.summary_queue_url, AiOptionsCache(configuration.get_account))


def converse_model() -> ConverseModel:
    """AI assist's model calls (Bedrock Converse, bounded), the client built on the first call."""
    from smschannel.assist.model import ConverseModel
    from smschannel.aws_clients import bedrock_runtime_client

    return ConverseModel(bedrock_runtime_client)


def _guardrail(settings: Settings) -> tuple[str, str] | None:
    return (settings.ai_guardrail_id, settings.ai_guardrail_version) if settings.ai_guardrail_id else None


def summary_consumer() -> SummaryConsumer:
    """The assist function's: the summary queue's messages, each an interaction's summary written."""
    from smschannel.assist.summaries import SummaryConsumer, SummaryService
    from smschannel.aws_clients import sqs_client
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.interactions import InteractionStore
    from smschannel.stores.summaries import SummaryStore

    settings = get_settings()
    table = _table(settings)
    service = SummaryService(
        ConfigurationStore(table),
        InteractionStore(table),
        SummaryStore(table),
        converse_model(),
        default_model_id=settings.ai_model_id,
        guardrail=_guardrail(settings),
    )
    return SummaryConsumer(service, sqs_client, settings.summary_queue_url)


def access_token_verifier() -> AccessTokenVerifier | None:
    """Cognito access tokens of the stack's pool (None where no pool is configured)."""
    from smschannel.identity import AccessTokenVerifier

    settings = get_settings()
    if not settings.auth_issuer:
        return None
    jwks_url = settings.auth_jwks_url or f"{settings.auth_issuer}/.well-known/jwks.json"
    return AccessTokenVerifier(settings.auth_issuer, jwks_url, settings.client_ids)


def authenticator() -> Authenticator:
    """Bearer tokens of the admin API: Cognito access tokens, and the static admin token while break-glass is on."""
    from smschannel import secrets
    from smschannel.identity import Authenticator

    settings = get_settings()
    break_glass = (lambda: secrets.admin_token(settings)) if settings.break_glass == "enabled" else None
    return Authenticator(access_token_verifier(), break_glass)


def websocket_tickets() -> WebSocketTickets:
    from smschannel.realtime.tickets import WebSocketTickets
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.tickets import TicketStore

    settings = get_settings()
    table = _table(settings)
    configuration = ConfigurationStore(table)
    return WebSocketTickets(
        TicketStore(table, settings.ticket_ttl_seconds),
        agent_exists=lambda agent_id: configuration.get_agent(agent_id) is not None,
    )


def inbound_service() -> InboundService:
    from smschannel.archive import WebhookArchive
    from smschannel.compliance import KeywordResponder
    from smschannel.inbound import InboundService
    from smschannel.stores.inbound_messages import InboundMessageStore
    from smschannel.stores.interactions import InteractionStore, SessionCache
    from smschannel.stores.optouts import OptOutStore

    settings = get_settings()
    table = _table(settings)
    interactions = InteractionStore(table, SessionCache(settings.session_cache_size))
    inbound_messages = InboundMessageStore(table, interactions, settings.dedup_ttl_days)
    accounts = _accounts(settings, table)
    keywords = KeywordResponder(OptOutStore(table), lambda: _replies(settings, table))
    archive = WebhookArchive(settings.archive_bucket)
    return InboundService(
        inbound_messages, interactions, accounts, archive, keywords, public_base_url=settings.public_base_url
    )


def outbound_consumer() -> OutboundConsumer:
    from smschannel.outbound.consumer import OutboundConsumer
    from smschannel.outbound.enqueue import Enqueuer
    from smschannel.outbound.poller import StatusPoller
    from smschannel.outbound.sender import OutboundSender

    settings = get_settings()
    table = _table(settings)
    accounts = _accounts(settings, table)
    sender = OutboundSender(
        table,
        accounts,
        max_attempts=settings.max_send_attempts,
        claim_seconds=settings.send_claim_seconds,
        status_callback_base=settings.status_callback_base or settings.public_base_url,
        retry_base_seconds=settings.retry_base_seconds,
    )
    poller = StatusPoller(table, accounts, lambda: sender.session)
    enqueuer = Enqueuer(table, settings.outbound_queue_url)
    return OutboundConsumer(sender, enqueuer, poller, settings.outbox_sweep_seconds)


def fanout_consumer() -> FanOutConsumer:
    from smschannel.aws_clients import sns_client
    from smschannel.realtime.alerts import AlertPublisher, QueueAlerts
    from smschannel.realtime.fanout import FanOut
    from smschannel.realtime.fanout_batch import FanOutConsumer
    from smschannel.realtime.push import Pusher
    from smschannel.realtime.tiles import QueueTiles
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.connections import ConnectionStore
    from smschannel.stores.dashboard import DashboardStore
    from smschannel.stores.interactions import InteractionStore
    from smschannel.stores.tiles import TileStore

    settings = get_settings()
    table = _table(settings)
    configuration = ConfigurationStore(table)
    dashboard = DashboardStore(table)
    publisher = AlertPublisher(sns_client, settings.alerts_topic_arn) if settings.alerts_topic_arn else None
    fanout = FanOut(
        configuration,
        InteractionStore(table),
        ConnectionStore(table),
        dashboard,
        Pusher(settings.connections_endpoint),
        supervisors_watch_only=settings.supervisor_frames == "watched",
        tiles=QueueTiles(TileStore(table), _account_time_zone(configuration)),
        alerts=QueueAlerts(dashboard, publisher),
    )
    return FanOutConsumer(fanout)


def websocket_routes() -> WebSocketRoutes:
    from smschannel.realtime.agent_desk import AgentDesk
    from smschannel.realtime.push import Pusher
    from smschannel.realtime.websocket import WebSocketRoutes
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.connections import ConnectionStore
    from smschannel.stores.dashboard import DashboardStore
    from smschannel.stores.interactions import InteractionStore

    settings = get_settings()
    table = _table(settings)
    configuration = ConfigurationStore(table)
    desk = AgentDesk(
        table,
        configuration,
        InteractionStore(table),
        ConnectionStore(table),
        DashboardStore(table),
        # The reply use case, imported and built on an agent's first reply, not at cold start.
        replies=lambda: _replies(settings, table),
        audit_ttl_days=settings.audit_ttl_days,
        # AI assist's suggested replies, likewise on the first `suggestReplies`.
        suggestions=lambda desk: _suggestions(settings, desk),
    )
    return WebSocketRoutes(desk, Pusher(settings.connections_endpoint), websocket_tickets())


def _suggestions(settings: Settings, desk: AgentDesk) -> SuggestionService:
    from smschannel.assist.suggestions import SuggestionService

    return SuggestionService(
        desk.configuration,
        desk.interactions,
        desk.canned,
        converse_model(),
        default_model_id=settings.ai_model_id,
        guardrail=_guardrail(settings),
    )


def report_runner() -> ReportRunner:
    """The reports' Athena runs (built on the first report asked, not at the admin function's cold start)."""
    from botocore.config import Config

    from smschannel.aws_clients import athena_client, s3_client
    from smschannel.reports.queries import ReportRunner

    settings = get_settings()
    s3 = s3_client(Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    return ReportRunner(
        athena_client,
        lambda: s3,
        settings.reports_database,
        settings.reports_workgroup,
        settings.reports_wait_seconds,
        results_location=f"s3://{settings.reports_bucket}/results/" if settings.reports_bucket else None,
    )


def triggers_consumer() -> DomainConsumer:
    """The table stream's domain consumer: new replies onto the outbound queue, triggers then routing."""
    from smschannel.domain_consumer import DomainConsumer
    from smschannel.outbound.enqueue import Enqueuer
    from smschannel.reports.teams import TeamOf
    from smschannel.routing.service import RoutingService
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.contacts import ContactStore
    from smschannel.stores.routing import RoutingStore
    from smschannel.triggers_then_routing import TriggersThenRouting

    settings = get_settings()
    table = _table(settings)
    routing = RoutingService(RoutingStore(table, ConfigurationStore(table), ContactStore(table)))
    changes = TriggersThenRouting(routing, trigger_engine(settings, table))
    configuration = ConfigurationStore(table)
    facts = None
    if settings.facts_stream_name:
        from smschannel.aws_clients import firehose_client
        from smschannel.reports.facts import FactSink

        facts = FactSink(firehose_client, settings.facts_stream_name)
    return DomainConsumer(
        changes,
        Enqueuer(table, settings.outbound_queue_url),
        floor_on_stream(settings, table),
        facts,
        _account_time_zone(configuration),
        summaries=summary_requests(settings, configuration),
        team_of=TeamOf(configuration),
    )


def _account_time_zone(configuration: ConfigurationStore) -> Callable[[str], str]:
    """An account's time zone (`options.timeZone`), read once per container: it dates the account's facts."""

    @lru_cache(maxsize=4096)
    def time_zone_of(account_id: str) -> str:
        account = configuration.get_account(account_id)
        return account.options.time_zone if account is not None else "UTC"

    return time_zone_of


def floor_on_stream(settings: Settings, table: Table) -> FloorOnStream:
    """The block list's screen and wrap-up's timers, for the domain consumer."""
    import boto3

    from smschannel.floor.blocklist import BlockListScreen
    from smschannel.floor.stream import FloorOnStream
    from smschannel.floor.wrapup import WrapUpTimers
    from smschannel.stores.blocklist import BlockListStore
    from smschannel.stores.interactions import InteractionStore

    interactions = InteractionStore(table)
    sqs = boto3.client("sqs") if settings.wrap_up_queue_url else None
    return FloorOnStream(
        BlockListScreen(BlockListStore(table), interactions),
        WrapUpTimers(sqs, settings.wrap_up_queue_url),
        wrap_up_service(table),
    )


def wrap_up_service(table: Table) -> WrapUpService:
    from smschannel.floor.wrapup import WrapUpService
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.floor import FloorStore
    from smschannel.stores.interactions import InteractionStore

    return WrapUpService(ConfigurationStore(table), InteractionStore(table), FloorStore(table))


def wrap_up_timer_consumer() -> WrapUpTimerConsumer:
    """The wrap-up timers' queue (the triggers function's SQS events)."""
    from smschannel.floor.wrapup import WrapUpTimerConsumer

    return WrapUpTimerConsumer(wrap_up_service(_table(get_settings())))


def trigger_engine(settings: Settings, table: Table) -> TriggerEngine:
    """The trigger engine as the stream function runs it."""
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.contacts import ContactStore
    from smschannel.stores.interactions import InteractionStore
    from smschannel.stores.optouts import OptOutStore
    from smschannel.stores.triggers import TriggerStore
    from smschannel.triggers.bots import BotBackend, LexBackend, WebhookBackend
    from smschannel.triggers.callurl import SqsDispatcher
    from smschannel.triggers.service import TriggerEngine

    configuration = ConfigurationStore(table)
    contacts = ContactStore(table)
    interactions = InteractionStore(table)

    def contact_name(contact_id: str) -> str | None:
        contact = contacts.get_contact(contact_id)
        return contact.name if contact else None

    bots: dict[str, BotBackend] = {"lex": LexBackend(), "webhook": WebhookBackend()}
    return TriggerEngine(
        TriggerStore(table, run_ttl_days=settings.trigger_run_ttl_days),
        account_of=configuration.get_account,
        close=interactions.close_interaction,
        contact_name=contact_name,
        replier=_RepliesOnFirstUse(lambda: _replies(settings, table)),
        optouts=OptOutStore(table),
        dispatcher=SqsDispatcher(settings.call_url_queue_url) if settings.call_url_queue_url else None,
        bots=bots,
    )


def call_url_consumer() -> CallUrlConsumer:
    from smschannel.stores.triggers import TriggerStore
    from smschannel.triggers.callurl import CallUrlSender
    from smschannel.triggers.callurl_queue import CallUrlConsumer

    return CallUrlConsumer(CallUrlSender(TriggerStore(_table(get_settings()))))


def handshake() -> Handshake:
    """The $connect authorizer's: tickets, Cognito access tokens and the stack's own agent/supervisor tokens."""
    from smschannel.realtime.handshake import Handshake

    return Handshake(token_signing_key(), access_token_verifier(), websocket_tickets())


def token_signing_key() -> Callable[[], str]:
    """The key of agent and supervisor tokens, read when asked (in AWS from SSM, cached by Powertools)."""
    from smschannel import secrets

    settings = get_settings()
    return lambda: secrets.token_signing_key(settings)


def pages(directory: Path) -> Pages:
    """The pages function's: the HTML files in `directory`, opened with a token signed by the stack's key or
    signed in through the user pool's hosted sign-in (when the stack has one)."""
    from smschannel.pages import Pages, SignIn

    settings = get_settings()
    signin = None
    if settings.auth_signin_url and settings.pages_client_id and settings.pages_base_url:
        signin = SignIn(settings.auth_signin_url, settings.pages_client_id, settings.pages_base_url)
    return Pages(directory, token_signing_key(), settings.websocket_url, signin)
