"""The sender: replies `queued` in the table reach the SQS FIFO queue (from the table stream, and from a sweep
that re-drives any whose enqueue was lost), and leave through their provider once (Powertools batch processing
with partial failures; a message that keeps failing goes to the dead-letter queue)."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.account_cache import AccountCache
from smschannel.dynamo import Table
from smschannel.invocations import event_source, is_schedule
from smschannel.observability import logger, metrics, tracer
from smschannel.outbound.enqueue import Enqueuer, refs_in_stream
from smschannel.outbound.poller import StatusPoller
from smschannel.outbound.sender import OutboundSender, SendOutcome, Verdict
from smschannel.settings import get_settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.outbound import OutboundRef
from smschannel.warmup import answers_warmup

settings = get_settings()
table = Table(settings.table_name)
accounts = AccountCache(ConfigurationStore(table), settings.account_cache_seconds)
sender = OutboundSender(
    table,
    accounts,
    max_attempts=settings.max_send_attempts,
    claim_seconds=settings.send_claim_seconds,
    status_callback_base=settings.status_callback_base or settings.public_base_url,
    retry_base_seconds=settings.retry_base_seconds,
)
enqueuer = Enqueuer(table, settings.outbound_queue_url)
poller = StatusPoller(table, accounts, lambda: sender.session)
# One failure stops the rest of its message group (one customer's replies leave in order), not other groups.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# A batch whose every record failed is reported like any other (the delays chosen for it must apply), not raised.
processor.raise_on_entire_batch_failure = False


# Delays chosen in this invocation, by message group: the records the processor skipped after a failure in their
# group wait as long as it does (else they would hold the group until the queue's visibility timeout).
_group_delays: dict[str, float] = {}
_delayed: set[str] = set()
# The head record of each message group, sent concurrently before the processor walks the batch in order: groups are
# independent customers, so a batch of ten conversations costs one provider round trip, not ten in a row. The rest
# of a group is sent in order by the processor, after its head succeeded.
_heads: dict[str, Future[SendOutcome]] = {}
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="send")


class SendLater(Exception):
    """A send to try again: the SQS message was delayed (its visibility changed) before this is raised."""


def _deliver(record: SQSRecord) -> SendOutcome:
    ref = OutboundRef.from_json(json.loads(record.body))
    return sender.deliver(ref, int(record.attributes.approximate_receive_count or 1))


def _send_group_heads(event: dict[str, Any]) -> None:
    _heads.clear()
    seen: set[str] = set()
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        group = record.attributes.message_group_id or record.message_id
        if group not in seen:
            seen.add(group)
            _heads[record.message_id] = _pool.submit(_deliver, record)


def send_record(record: SQSRecord) -> None:
    ref = OutboundRef.from_json(json.loads(record.body))
    head = _heads.pop(record.message_id, None)
    outcome = head.result() if head is not None else _deliver(record)
    metrics.add_metric(name=f"Outbound{outcome.verdict.value.capitalize()}", unit=MetricUnit.Count, value=1)
    if outcome.verdict is Verdict.RETRY:
        _delay(record, outcome.delay)
        raise SendLater(f"{ref.message_id}: {outcome.detail}, again in {outcome.delay:.0f} s")
    if outcome.verdict is Verdict.EXHAUSTED:
        _delay(record, 0)  # back at once, so SQS moves it to the dead-letter queue
        raise SendLater(f"{ref.message_id}: {outcome.detail} on the last attempt (to the dead-letter queue)")
    logger.info("outbound", extra={"messageId": ref.message_id, "verdict": outcome.verdict, "detail": outcome.detail})


def _delay(record: SQSRecord, seconds: float) -> None:
    enqueuer.delay(record.receipt_handle, seconds)
    _delayed.add(record.message_id)
    group = record.attributes.message_group_id or ""
    _group_delays[group] = max(_group_delays.get(group, 0.0), seconds)


def _delay_skipped(event: dict[str, Any], response: dict[str, Any]) -> None:
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    for raw in event.get("Records", []):
        record = SQSRecord(raw)
        group = record.attributes.message_group_id or ""
        if record.message_id in failed and record.message_id not in _delayed and group in _group_delays:
            enqueuer.delay(record.receipt_handle, _group_delays[group])


@answers_warmup
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        redriven = enqueuer.sweep(settings.outbox_sweep_seconds)
        metrics.add_metric(name="OutboundRedriven", unit=MetricUnit.Count, value=redriven)
        # Providers without receipts (Skebby, IntelePeer): ask for the status of recent sent messages.
        polled = poller.poll()
        metrics.add_metric(name="StatusPolled", unit=MetricUnit.Count, value=polled.asked)
        return {"redriven": redriven, "polled": polled.asked, "statusUpdated": polled.updated}
    if event_source(event) == "aws:dynamodb":
        # New replies on the table stream: to the FIFO queue (a failure here is re-driven by the sweep).
        enqueued = enqueuer.enqueue(refs_in_stream(event))
        return {"enqueued": enqueued}
    _group_delays.clear()
    _delayed.clear()
    _send_group_heads(event)
    response = dict(
        process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
    )
    _delay_skipped(event, response)
    return response
