"""Replies onto the SQS FIFO queue: one message group per interaction (its replies leave in order), the
message id as deduplication id; from the table stream as they are written (by the domain consumer, one stream
batch's replies in SendMessageBatch calls of up to 10), and from the outbox sweep."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from smschannel.aws_clients import sqs_client
from smschannel.dynamo import Table
from smschannel.stores.outbound import OutboundRef, OutboundStore
from smschannel.stream import StreamChange
from smschannel.timestamps import to_iso

SQS_BATCH = 10
MAX_VISIBILITY_SECONDS = 43_200


def new_reply(change: StreamChange) -> OutboundRef | None:
    """The reply a stream record inserted `queued` (template.yaml's reply filter of the domain consumer passes
    those), None for any other change."""
    image = change.new
    if change.event_name != "INSERT" or not image or image.get("entity") != "message":
        return None
    if image.get("direction") != "out" or image.get("status") != "queued":
        return None
    return OutboundRef(str(image["id"]), str(image["interactionId"]), str(image["sk"]))


class Enqueuer:
    def __init__(self, table: Table, queue_url: str | None, client: Any | None = None) -> None:
        self.store = OutboundStore(table)
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or sqs_client()

    def enqueue(self, refs: list[OutboundRef]) -> int:
        """All of `refs`, or raise (the sweep's: what is not sent now is re-driven by the next sweep)."""
        sent = 0
        for start in range(0, len(refs), SQS_BATCH):
            chunk = refs[start : start + SQS_BATCH]
            refused = self._send(chunk)
            if refused:
                ref, reason = next(iter(refused.items()))
                raise RuntimeError(f"SQS refused {len(refused)} of {len(chunk)} replies: {ref.message_id}: {reason}")
            sent += len(chunk)
        return sent

    def enqueue_in_order(self, refs: Sequence[OutboundRef]) -> dict[str, str]:
        """`refs` (in stream order) in SendMessageBatch calls of up to 10, at most one reply of a message group
        per call: a group's later reply is sent only once SQS accepted its earlier ones, so a refused entry never
        lets the next reply of its conversation overtake it. Returns, by message id, why each reply was not
        sent (refused, or held back behind a refused one of its group); the others are on the queue."""
        not_sent: dict[str, str] = {}
        pending: dict[str, deque[OutboundRef]] = {}
        for ref in refs:
            pending.setdefault(ref.interaction_id, deque()).append(ref)
        while pending:
            heads = [group.popleft() for group in pending.values()]
            pending = {group_id: group for group_id, group in pending.items() if group}
            for start in range(0, len(heads), SQS_BATCH):
                for ref, reason in self._send(heads[start : start + SQS_BATCH]).items():
                    not_sent[ref.message_id] = reason
                    for held in pending.pop(ref.interaction_id, ()):
                        not_sent[held.message_id] = f"held back behind {ref.message_id}"
        return not_sent

    def _send(self, chunk: Sequence[OutboundRef]) -> dict[OutboundRef, str]:
        """One SendMessageBatch; returns the entries SQS did not take, with why (all of them if the call failed)."""
        if not chunk:
            return {}
        assert self.queue_url, "OUTBOUND_QUEUE_URL is not set"
        try:
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "MessageBody": json.dumps(ref.to_json_dict()),
                        "MessageGroupId": ref.interaction_id,
                        "MessageDeduplicationId": ref.message_id,
                    }
                    for index, ref in enumerate(chunk)
                ],
            )
        except (BotoCoreError, ClientError) as error:
            return dict.fromkeys(chunk, f"SendMessageBatch failed: {error}")
        return {
            chunk[int(entry["Id"])]: f"{entry.get('Code', '')}: {entry.get('Message', '')}"
            for entry in response.get("Failed") or []
        }

    def sweep(self, older_than_seconds: float) -> int:
        """Re-drive replies still `queued` after `older_than_seconds` (their enqueue was lost, or they wait for
        a retry: the queue deduplicates the first, the sender's claim makes the second harmless)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        refs = self.store.queued_before(to_iso(cutoff))
        return self.enqueue(refs)

    def delay(self, receipt_handle: str, seconds: float) -> None:
        """Make a received message visible again only after `seconds` (a retry's backoff, or Retry-After)."""
        assert self.queue_url, "OUTBOUND_QUEUE_URL is not set"
        self.client.change_message_visibility(
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, round(seconds))),
        )
