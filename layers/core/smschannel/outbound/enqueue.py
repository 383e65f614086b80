"""Replies onto the SQS FIFO queue: one message group per interaction (its replies leave in order), the
message id as deduplication id; from the table stream as they are written, and from the outbox sweep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from smschannel.aws_clients import sqs_client
from smschannel.dynamo import Table
from smschannel.stores.outbound import OutboundRef, OutboundStore
from smschannel.stream import StreamChange
from smschannel.timestamps import to_iso

SQS_BATCH = 10
MAX_VISIBILITY_SECONDS = 43_200


def refs_in_stream(event: dict[str, Any]) -> list[OutboundRef]:
    """The queued replies a DynamoDB stream batch inserted (the mapping's filter passes only those)."""
    refs = []
    for record in event.get("Records", []):
        image = StreamChange.from_raw(record).new or {}
        if image.get("direction") != "out" or image.get("status") != "queued":
            continue
        refs.append(OutboundRef(str(image["id"]), str(image["interactionId"]), str(image["sk"])))
    return refs


class Enqueuer:
    def __init__(self, table: Table, queue_url: str | None, client: Any | None = None) -> None:
        self.store = OutboundStore(table)
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or sqs_client()

    def enqueue(self, refs: list[OutboundRef]) -> int:
        if not refs:
            return 0
        assert self.queue_url, "OUTBOUND_QUEUE_URL is not set"
        sent = 0
        for start in range(0, len(refs), SQS_BATCH):
            chunk = refs[start : start + SQS_BATCH]
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
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"SQS refused {len(failed)} of {len(chunk)} replies: {failed[0]}")
            sent += len(chunk)
        return sent

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
