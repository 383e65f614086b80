"""callUrl deliveries from the trigger engine's queue (SQS): each POSTed signed, with timeouts and retries; a
message still not delivered after the queue's receive limit goes to the dead-letter queue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import logger, metrics, tracer
from smschannel.triggers.callurl import CallUrlDelivery
from smschannel.warmup import answers_warmup

sender = wiring.call_url_sender()
# Every record failing is reported as such (each returns to the queue), not raised as a failed invocation.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def deliver(record: SQSRecord) -> None:
    """Raises when not delivered: the message returns to the queue after its visibility timeout (the backoff)."""
    delivery = CallUrlDelivery.model_validate_json(record.body)
    sender.deliver(delivery, int(record.attributes.approximate_receive_count or 1))


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=deliver, processor=processor, context=context))
