"""The sender's batch from the SQS FIFO queue: each reply leaves through its provider once, one customer's replies
in order (a failure holds the rest of its message group, not other groups).

The head record of each message group is sent concurrently before the batch is walked in order: groups are
independent customers, so a batch of ten conversations costs one provider round trip, not ten in a row. The rest
of a group is sent in order, after its head succeeded. A send to retry is delayed on the queue (its visibility
changed) for as long as its outcome says; the records held back behind it in its group wait as long (else they
would hold the group until the queue's visibility timeout).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smschannel.batch import BatchConsumer, message_group
from smschannel.observability import logger, metrics
from smschannel.outbound.enqueue import Enqueuer
from smschannel.outbound.poller import StatusPoller
from smschannel.outbound.sender import OutboundSender, SendOutcome, Verdict
from smschannel.stores.outbound import OutboundRef

CONCURRENT_HEADS = 10


class SendLater(Exception):
    """A send to try again: the SQS message was delayed (its visibility changed) before this is raised."""


class OutboundConsumer(BatchConsumer[SQSRecord]):
    event_type = EventType.SQS

    def __init__(
        self, sender: OutboundSender, enqueuer: Enqueuer, poller: StatusPoller, sweep_after_seconds: float
    ) -> None:
        super().__init__()
        self.sender = sender
        self.enqueuer = enqueuer
        self.poller = poller
        self.sweep_after_seconds = sweep_after_seconds
        self._pool = ThreadPoolExecutor(max_workers=CONCURRENT_HEADS, thread_name_prefix="send")
        # This batch's: head sends by message id, delays chosen by message group, messages already delayed.
        self._heads: dict[str, Future[SendOutcome]] = {}
        self._group_delays: dict[str, float] = {}
        self._delayed: set[str] = set()

    def order_key(self, record: SQSRecord) -> str | None:
        return message_group(record)

    @contextmanager
    def batch(self, event: dict[str, Any]) -> Iterator[None]:
        self._group_delays.clear()
        self._delayed.clear()
        self._heads.clear()
        records = [SQSRecord(raw) for raw in event.get("Records", [])]
        seen: set[str] = set()
        for record in records:
            group = record.attributes.message_group_id or record.message_id
            if group not in seen:
                seen.add(group)
                self._heads[record.message_id] = self._pool.submit(self._deliver, record)
        yield
        failed = {item["itemIdentifier"] for item in self.processor.response().get("batchItemFailures", [])}
        for record in records:
            group = record.attributes.message_group_id or ""
            if record.message_id in failed and record.message_id not in self._delayed and group in self._group_delays:
                self.enqueuer.delay(record.receipt_handle, self._group_delays[group])

    def handle(self, record: SQSRecord) -> None:
        ref = OutboundRef.from_json(json.loads(record.body))
        head = self._heads.pop(record.message_id, None)
        outcome = head.result() if head is not None else self._deliver(record)
        metrics.add_metric(name=f"Outbound{outcome.verdict.value.capitalize()}", unit=MetricUnit.Count, value=1)
        if outcome.verdict is Verdict.RETRY:
            self._delay(record, outcome.delay)
            raise SendLater(f"{ref.message_id}: {outcome.detail}, again in {outcome.delay:.0f} s")
        if outcome.verdict is Verdict.EXHAUSTED:
            self._delay(record, 0)  # back at once, so SQS moves it to the dead-letter queue
            raise SendLater(f"{ref.message_id}: {outcome.detail} on the last attempt (to the dead-letter queue)")
        logger.info(
            "outbound", extra={"messageId": ref.message_id, "verdict": outcome.verdict, "detail": outcome.detail}
        )

    def _deliver(self, record: SQSRecord) -> SendOutcome:
        ref = OutboundRef.from_json(json.loads(record.body))
        return self.sender.deliver(ref, int(record.attributes.approximate_receive_count or 1))

    def _delay(self, record: SQSRecord, seconds: float) -> None:
        self.enqueuer.delay(record.receipt_handle, seconds)
        self._delayed.add(record.message_id)
        group = record.attributes.message_group_id or ""
        self._group_delays[group] = max(self._group_delays.get(group, 0.0), seconds)

    # --- the function's other source (new replies reach the queue from the domain consumer) ------------------

    def sweep(self) -> dict[str, Any]:
        """Once a minute: re-drive replies whose enqueue was lost, and ask providers without receipts (Skebby,
        IntelePeer) for the status of recent sent messages."""
        redriven = self.enqueuer.sweep(self.sweep_after_seconds)
        metrics.add_metric(name="OutboundRedriven", unit=MetricUnit.Count, value=redriven)
        polled = self.poller.poll()
        metrics.add_metric(name="StatusPolled", unit=MetricUnit.Count, value=polled.asked)
        return {"redriven": redriven, "polled": polled.asked, "statusUpdated": polled.updated}
