"""The table stream: triggers, then queue assignment, per record (Powertools batch, partial failures); and the
once-a-minute queue timeout sweep."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.dynamo import Table
from smschannel.invocations import is_schedule
from smschannel.observability import logger, metrics, tracer
from smschannel.routing.service import RoutingService
from smschannel.settings import get_settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.routing import RoutingStore
from smschannel.stream import ChangeHandler
from smschannel.triggers.events import Change
from smschannel.triggers.wiring import build_engine
from smschannel.warmup import answers_warmup

settings = get_settings()
table = Table(settings.table_name)
configuration = ConfigurationStore(table)
service = RoutingService(RoutingStore(table, configuration, ContactStore(table)))
changes = ChangeHandler(service, build_engine(settings, table))
# A batch whose every record failed is reported too, never raised: the local emulator ignores the partial-failure
# settings and would redeliver a raising batch until MaximumRecordAgeInSeconds.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def route_change(record: DynamoDBRecord) -> None:
    """One stream record; an exception marks it (and, on retry, what follows it in the shard) as failed."""
    change = record.dynamodb
    event_name = record.event_name.name if record.event_name else ""
    if change is None:
        return
    changes.handle(
        Change(
            event_id=record.event_id or "",
            event_name=event_name,
            old=change.old_image,
            new=change.new_image,
            written_at=change.approximate_creation_date_time,
            sequence_number=change.sequence_number or "",
        )
    )


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        report = service.sweep()
        metrics.add_metric(name="QueueOverflowed", unit=MetricUnit.Count, value=report.overflowed)
        metrics.add_metric(name="QueueTimedOut", unit=MetricUnit.Count, value=report.timed_out)
        return {"overflowed": report.overflowed, "timedOut": report.timed_out, "assigned": report.assigned}
    with service.batch() as batch:
        response = process_partial_response(
            event=event, record_handler=route_change, processor=processor, context=context
        )
    metrics.add_metric(name="InteractionsAssigned", unit=MetricUnit.Count, value=batch.assigned)
    failures = len(response.get("batchItemFailures", []))
    if failures:
        logger.warning("stream records failed", extra={"failed": failures, "records": len(event.get("Records", []))})
    return dict(response)
