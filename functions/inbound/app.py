"""Provider webhooks: `POST /webhooks/{accountId}` (inbound SMS/MMS) and `.../status` (delivery status)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.http import http_api, webhook_request
from smschannel.observability import logger, metrics, tracer
from smschannel.warmup import answers_warmup

service = wiring.inbound_service()

app = http_api()


@app.post("/webhooks/<account_id>")
@app.get("/webhooks/<account_id>")
@tracer.capture_method
def receive_message(account_id: str) -> Response:
    result = service.receive_message(account_id, webhook_request(app.current_event, service.public_base_url))
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
    answer = service.receive_status(account_id, webhook_request(app.current_event, service.public_base_url))
    metrics.add_metric(name="StatusCallback", unit=MetricUnit.Count, value=1)
    return Response(status_code=answer.status_code, content_type=answer.content_type, body=answer.body)


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
