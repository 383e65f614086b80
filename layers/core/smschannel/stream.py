"""A table stream record as every stream consumer sees it: `StreamChange`, with one image deserialiser.

The images come as plain dicts (the AWS SDK's TypeDeserializer, through `dynamo.from_item`: numbers as int/float, sets
as lists), None where the record has none (an INSERT's old image, a REMOVE's new one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from smschannel import keys
from smschannel.dynamo import from_item

Image = dict[str, Any]


@dataclass(frozen=True)
class StreamChange:
    """One stream record: its id, what happened (INSERT | MODIFY | REMOVE), the images, and when and where in the
    stream it was written. `event_id` is the same on every redelivery of the record."""

    event_id: str
    event_name: str
    old: Image | None
    new: Image | None
    written_at: float | None = None  # epoch seconds (ApproximateCreationDateTime)
    sequence_number: str = ""

    @classmethod
    def from_record(cls, record: DynamoDBRecord) -> StreamChange:
        return cls.from_raw(record.raw_event)

    @classmethod
    def from_raw(cls, record: Mapping[str, Any]) -> StreamChange:
        """A record as the event carries it (`Records[n]`, DynamoDB JSON images)."""
        change = record.get("dynamodb") or {}
        written_at = change.get("ApproximateCreationDateTime")
        return cls(
            event_id=str(record.get("eventID") or ""),
            event_name=str(record.get("eventName") or ""),
            old=from_item(change.get("OldImage")),
            new=from_item(change.get("NewImage")),
            written_at=float(written_at) if written_at is not None else None,
            sequence_number=str(change.get("SequenceNumber") or ""),
        )

    @property
    def entity(self) -> str | None:
        """What kind of item changed (`interaction`, `message`, `agent`, ...)."""
        return (self.new or self.old or {}).get("entity")

    @property
    def at(self) -> str:
        # The record's write time is the same on every redelivery: it keys a trigger's run.
        moment = datetime.fromtimestamp(self.written_at, UTC) if self.written_at else datetime.now(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def position(self) -> str:
        """Where in the stream (keys.stream_position): orders a trigger's runs."""
        return keys.stream_position(self.at, self.sequence_number)
