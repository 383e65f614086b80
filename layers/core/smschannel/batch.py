"""One pattern for every stream and queue consumer: Powertools' batch processor, partial failures, records in order.

A consumer is one object per function (built by smschannel.wiring) whose `consume(event, context)` walks the
batch through Powertools' `process_partial_response` and answers `batchItemFailures`, never raising, even when
every record failed (the local emulator ignores the partial-failure settings and would redeliver a raising batch
until MaximumRecordAgeInSeconds). What a batch shares (frames to push, round-robin pointers, retry delays) lives on
the consumer for the length of `batch()`, not in module globals.

Order: a record whose `order_key` (its interaction, its message group, or the whole batch) already failed in this
batch is reported failed too, without being handled: it comes back with the one that failed, in order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.base import FailureResponse, SuccessResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.observability import logger
from smschannel.stream import StreamChange


class SkippedAfterFailure(Exception):
    """A record after a failed one of the same order key: retried with it, never handled ahead of it."""


class InOrderProcessor(BatchProcessor):
    """Powertools' BatchProcessor that fails, unhandled, the records after a failure of the same order key (as
    SqsFifoPartialProcessor's `skip_group_on_error` does for message groups, for any key and any event type)."""

    def __init__(self, event_type: EventType, order_key: Callable[[Any], str | None]) -> None:
        super().__init__(event_type, raise_on_entire_batch_failure=False)
        self._order_key = order_key
        self._failed_keys: set[str] = set()

    def _prepare(self) -> None:
        super()._prepare()
        self._failed_keys.clear()

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        data = self._to_batch_type(record, event_type=self.event_type)
        key = self._order_key(data)
        if key is not None and key in self._failed_keys:
            skipped = SkippedAfterFailure(f"a record before it failed ({key})")
            return self.failure_handler(data, (SkippedAfterFailure, skipped, None))
        result = super()._process_record(record)
        if result[0] == "fail" and key is not None:
            self._failed_keys.add(key)
        return result


class BatchConsumer[R](ABC):
    """A stream's or a queue's consumer: `handle` one record (raise to report it failed), in `order_key` order."""

    event_type: EventType

    def __init__(self) -> None:
        self.processor = InOrderProcessor(self.event_type, self.order_key)

    def order_key(self, record: R) -> str | None:
        """The records this one must not overtake after a failure (None: any)."""
        return None

    @abstractmethod
    def handle(self, record: R) -> None: ...

    @contextmanager
    def batch(self, event: dict[str, Any]) -> Iterator[None]:
        """Around one batch: what its records share, set up before the first and applied after the last."""
        yield

    def consume(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        with self.batch(event):
            response = process_partial_response(
                event=event, record_handler=self.handle, processor=self.processor, context=context
            )
        failures = len(response.get("batchItemFailures", []))
        if failures:
            logger.warning("records failed", extra={"failed": failures, "records": len(event.get("Records", []))})
        return dict(response)


class StreamConsumer(BatchConsumer[DynamoDBRecord]):
    """A consumer of the table stream: each record read as a StreamChange."""

    event_type = EventType.DynamoDBStreams

    def handle(self, record: DynamoDBRecord) -> None:
        self.change(StreamChange.from_record(record))

    @abstractmethod
    def change(self, change: StreamChange) -> None: ...


def item_collection(record: DynamoDBRecord) -> str | None:
    """The partition key of the record's item: an interaction and its messages share one, so records of one
    interaction keep their order."""
    partition = (record.dynamodb.keys if record.dynamodb else {}).get("pk")
    return str(partition) if partition else None


def message_group(record: SQSRecord) -> str | None:
    """An SQS FIFO record's message group (one customer's replies)."""
    return record.attributes.message_group_id
