"""Provider webhooks: `POST /webhooks/{accountId}` (inbound SMS/MMS) and `.../status` (delivery status).

The two routes need no resolver (`smschannel.edge` routes them): the hottest function's cold start pays for
Powertools' Logger, Tracer and Metrics, the models and its stores, not for the admin API's machinery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from smschannel import wiring
from smschannel.edge import resolve_webhook
from smschannel.observability import logger, metrics, tracer
from smschannel.providers.base import WebhookAnswer, WebhookRequest
from smschannel.warmup import answers_warmup

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

service = wiring.inbound_service()


@tracer.capture_method
def receive_message(account_id: str, request: WebhookRequest) -> WebhookAnswer:
    result = service.receive_message(account_id, request)
    for outcome in result.outcomes:
        name = "DuplicateWebhook" if outcome.duplicate else "InboundMessage"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        if outcome.opened:
            metrics.add_metric(name="InteractionOpened", unit=MetricUnit.Count, value=1)
    return result.answer


@tracer.capture_method
def receive_status(account_id: str, request: WebhookRequest) -> WebhookAnswer:
    answer = service.receive_status(account_id, request)
    metrics.add_metric(name="StatusCallback", unit=MetricUnit.Count, value=1)
    return answer


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve_webhook(
        event, message=receive_message, status=receive_status, public_base_url=service.public_base_url
    )
