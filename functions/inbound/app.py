"""Provider webhooks: `POST /webhooks/{accountId}` (inbound SMS/MMS) and `.../status` (delivery status)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.account_cache import AccountCache
from smschannel.archive import WebhookArchive
from smschannel.compliance import KeywordResponder
from smschannel.dynamo import Table
from smschannel.http import register_error_handlers, webhook_request
from smschannel.inbound import InboundService
from smschannel.observability import logger, metrics, tracer
from smschannel.optouts import OptOutStore
from smschannel.outbound.service import OutboundService
from smschannel.settings import get_settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.inbound_messages import InboundMessageStore
from smschannel.stores.interactions import InteractionStore, SessionCache
from smschannel.warmup import answers_warmup

settings = get_settings()
table = Table(settings.table_name)
interactions = InteractionStore(table, SessionCache(settings.session_cache_size))
inbound_messages = InboundMessageStore(table, interactions, settings.dedup_ttl_days)
accounts = AccountCache(ConfigurationStore(table), settings.account_cache_seconds)
keywords = KeywordResponder(OptOutStore(table), OutboundService(table, accounts, settings.max_body_length))
service = InboundService(inbound_messages, interactions, accounts, WebhookArchive(settings.archive_bucket), keywords)

app = APIGatewayHttpResolver()
register_error_handlers(app)


def _url_override(account_id: str, suffix: str) -> str | None:
    account = accounts.get(account_id)
    base = account.options.webhook_url
    return f"{str(base).rstrip('/')}{suffix}" if base else None


@app.post("/webhooks/<account_id>")
@app.get("/webhooks/<account_id>")
@tracer.capture_method
def receive_message(account_id: str) -> Response:
    request = webhook_request(app.current_event, _url_override(account_id, ""), settings.public_base_url)
    result = service.receive_message(account_id, request)
    for outcome in result.outcomes:
        name = "DuplicateWebhook" if outcome.duplicate else "InboundMessage"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        if outcome.opened:
            metrics.add_metric(name="InteractionOpened", unit=MetricUnit.Count, value=1)
    answer = result.answer
    return Response(status_code=answer.status_code, content_type=answer.content_type, body=answer.body)


@app.post("/webhooks/<account_id>/status")
@app.get("/webhooks/<account_id>/status")
@tracer.capture_method
def receive_status(account_id: str) -> Response:
    request = webhook_request(app.current_event, _url_override(account_id, "/status"), settings.public_base_url)
    answer = service.receive_status(account_id, request)
    metrics.add_metric(name="StatusCallback", unit=MetricUnit.Count, value=1)
    return Response(status_code=answer.status_code, content_type=answer.content_type, body=answer.body)


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
