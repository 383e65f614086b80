"""The table stream's one domain consumer (the triggers function): new replies onto the outbound FIFO queue, and
every other change through the trigger engine, then queue assignment (smschannel.triggers_then_routing).

The table's stream has two readers, this one and the fan-out: DynamoDB Streams serve two per shard before reads
are throttled (tests/unit/test_stream_readers.py holds template.yaml to it).

A close or a transfer of an account with AI summaries on (smschannel.assist.summaries) is gathered likewise and
sent to the summary queue at the batch's end: the model is never called here, and a failed send never fails a
record.

Each record's report facts (smschannel.reports.facts: an interaction's close, a message's states) are gathered
while the batch runs and put to the facts Firehose stream once at its end (no reader of its own on the stream).

A batch's new replies are sent before its records are walked, in SendMessageBatch calls of up to 10 (one reply of
a conversation per call, so that a refused one is never overtaken by the next), so a reply waits for no trigger or
assignment. Its record is then reported failed in `batchItemFailures` if SQS did not take it, which holds back the
later records of its interaction (`item_collection`) with it, as any failure does. A reply's record redelivered
after it was sent (a failure earlier in the batch) sends it again under the same deduplication id, the message
id, which SQS FIFO drops; a reply whose enqueue was lost for good is re-driven by the outbound function's sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from smschannel.batch import StreamConsumer, item_collection
from smschannel.floor.stream import FloorOnStream
from smschannel.observability import logger, metrics
from smschannel.outbound.enqueue import Enqueuer, new_reply
from smschannel.reports.facts import FactSink, facts_of
from smschannel.stream import StreamChange
from smschannel.triggers_then_routing import TriggersThenRouting

if TYPE_CHECKING:
    from smschannel.assist.summaries import SummaryRequests


class ReplyNotEnqueued(Exception):
    """SQS did not take the reply this stream record inserted (or it was held back behind one of its group)."""


class DomainConsumer(StreamConsumer):
    """The stream function's batch: its new replies enqueued first; then, per record, triggers then routing, with
    agents read once and round-robin pointers written once per batch (routing's batch); after a failed record, the
    later records of the same interaction are held back with it."""

    def __init__(
        self,
        changes: TriggersThenRouting,
        replies: Enqueuer,
        floor: FloorOnStream | None = None,
        facts: FactSink | None = None,
        time_zone_of: Callable[[str], str] = lambda _account_id: "UTC",
        *,
        summaries: SummaryRequests | None = None,
        team_of: Callable[[str | None, str | None], str | None] = lambda _queue, _agent: None,
    ) -> None:
        super().__init__()
        self.changes = changes
        self.floor = floor
        self.facts = facts
        self.time_zone_of = time_zone_of
        self.team_of = team_of
        self.summaries = summaries
        self.routing = changes.routing
        self.replies = replies
        self._not_enqueued: dict[str, str] = {}  # this batch's: why a reply was not sent, by message id
        self._read: dict[str, StreamChange] = {}  # this batch's records, read once (for its replies), by event id

    def order_key(self, record: DynamoDBRecord) -> str | None:
        return item_collection(record)

    @contextmanager
    def batch(self, event: dict[str, Any]) -> Iterator[None]:
        changes = [change for raw in event.get("Records", []) if (change := _readable(raw)) is not None]
        self._read = {change.event_id: change for change in changes if change.event_id}
        refs = [ref for change in changes if (ref := new_reply(change)) is not None]
        try:
            self._not_enqueued = self.replies.enqueue_in_order(refs) if refs else {}
        except Exception as error:  # noqa: BLE001 - each reply's record fails with it, never the whole batch
            self._not_enqueued = dict.fromkeys((ref.message_id for ref in refs), f"not enqueued: {error!r}")
        if refs:  # a metric line is kept short (its bytes are billed per batch): a count only when there is one
            metrics.add_metric(name="RepliesEnqueued", unit=MetricUnit.Count, value=len(refs) - len(self._not_enqueued))
        try:
            with self.routing.batch() as routed:
                yield
        finally:
            self._read = {}
            self._put_facts()
            if self.summaries is not None:
                self.summaries.flush()
        if routed.assigned:
            metrics.add_metric(name="InteractionsAssigned", unit=MetricUnit.Count, value=routed.assigned)

    def handle(self, record: DynamoDBRecord) -> None:
        """The change as the batch read it for its replies; a record unreadable then is read (and fails) here."""
        read = self._read.get(record.event_id or "")
        change = read if read is not None else StreamChange.from_record(record)
        if self.facts is not None:
            self.facts.add(facts_of(change, self.time_zone_of, self.team_of))
        self.change(change)
        if self.summaries is not None:  # once the change is handled: a record retried asks again only then
            self.summaries.add(change)

    def _put_facts(self) -> None:
        if self.facts is None or not self.facts.pending:
            return
        try:
            put, lost = self.facts.flush()
        except Exception:  # noqa: BLE001 - a report fact never holds a conversation back (docs/reports.md)
            logger.exception("report facts not put")
            put, lost = 0, 1
        metrics.add_metric(name="FactsPut", unit=MetricUnit.Count, value=put)
        if lost:
            metrics.add_metric(name="FactsLost", unit=MetricUnit.Count, value=lost)

    def change(self, change: StreamChange) -> None:
        reply = new_reply(change)
        if reply is None:
            if self.floor is not None and self.floor.screen(change):
                return  # a blocked number's: stored, closed, never triggered or routed
            self.changes.handle(change)
            if self.floor is not None:
                self.floor.after(change)
            return
        reason = self._not_enqueued.get(reply.message_id)
        if reason is not None:
            raise ReplyNotEnqueued(f"{reply.message_id}: {reason}")

    def sweep(self) -> dict[str, Any]:
        """The once-a-minute sweep: wrap-ups past their time (a lost timer), then queue timeouts and a drain."""
        wrapped_up = self.floor.sweep() if self.floor is not None else 0
        report = self.routing.sweep()
        metrics.add_metric(name="QueueOverflowed", unit=MetricUnit.Count, value=report.overflowed)
        metrics.add_metric(name="QueueTimedOut", unit=MetricUnit.Count, value=report.timed_out)
        return {
            "overflowed": report.overflowed,
            "timedOut": report.timed_out,
            "assigned": report.assigned,
            "wrapUpsFinished": wrapped_up,
        }


def _readable(raw: dict[str, Any]) -> StreamChange | None:
    try:
        return StreamChange.from_raw(raw)
    except Exception:  # noqa: BLE001 - an unreadable record is failed by its own record handler, in its turn
        return None
