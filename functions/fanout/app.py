"""The fan-out on the table stream: interaction, message and agent changes pushed to the agents concerned and to
the subscribed supervisors, with the dashboard's counters kept on the way (Powertools batch, partial failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.dynamo import Table, from_item
from smschannel.observability import logger, metrics, tracer
from smschannel.realtime.fanout import Batch, Change, FanOut
from smschannel.realtime.push import Pusher
from smschannel.settings import get_settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.connections import ConnectionStore
from smschannel.stores.dashboard import DashboardStore
from smschannel.stores.interactions import InteractionStore
from smschannel.warmup import answers_warmup

settings = get_settings()
table = Table(settings.table_name)
fanout = FanOut(
    ConfigurationStore(table),
    InteractionStore(table),
    ConnectionStore(table),
    DashboardStore(table),
    Pusher(settings.connections_endpoint),
)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


class SkippedAfterFailure(Exception):
    """A record after a failed one: retried with it, so no counter is applied twice when the batch comes back."""


class BatchState:
    def __init__(self) -> None:
        self.batch = Batch()
        self.failed = False


state = BatchState()


def fan_out(record: DynamoDBRecord) -> None:
    if state.failed:
        raise SkippedAfterFailure(record.dynamodb.sequence_number if record.dynamodb else "")
    raw = record.raw_event.get("dynamodb") or {}
    change = Change(
        event_name=record.event_name.name if record.event_name else "",
        old=from_item(raw.get("OldImage")),
        new=from_item(raw.get("NewImage")),
    )
    try:
        fanout.handle(change, state.batch)
    except Exception:
        state.failed = True
        raise


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    global state  # noqa: PLW0603 - one batch at a time per execution environment
    state = BatchState()
    response = process_partial_response(event=event, record_handler=fan_out, processor=processor, context=context)
    pushed = fanout.flush(state.batch)
    metrics.add_metric(name="FramesPushed", unit=MetricUnit.Count, value=pushed)
    failures = len(response.get("batchItemFailures", []))
    if failures:
        logger.warning("stream records failed", extra={"failed": failures, "records": len(event.get("Records", []))})
    return dict(response)
