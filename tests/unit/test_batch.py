"""The one batch pattern (smschannel.batch): partial failures, and a failed record's later records held back."""

from __future__ import annotations

from typing import Any

from smschannel.batch import StreamConsumer, item_collection
from smschannel.stream import StreamChange
from tests.conftest import FakeContext


def record(sequence: str, pk: str, name: str = "INSERT", **image: Any) -> dict[str, Any]:
    new = {"pk": {"S": pk}, **{key: {"S": value} for key, value in image.items()}}
    return {
        "eventID": f"e{sequence}",
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"pk": {"S": pk}}, "NewImage": new, "SequenceNumber": sequence},
    }


class Recorder(StreamConsumer):
    """Fails the changes whose image says `fail`; holds back by item collection (an interaction and its messages)."""

    def __init__(self) -> None:
        super().__init__()
        self.handled: list[str] = []
        self.batches = 0

    def order_key(self, record: Any) -> str | None:
        return item_collection(record)

    def change(self, change: StreamChange) -> None:
        assert change.new is not None
        if change.new.get("fail"):
            raise ValueError("poison")
        self.handled.append(change.sequence_number)


def failed(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def test_after_a_failure_only_the_same_interaction_s_later_records_are_held_back() -> None:
    consumer = Recorder()
    event = {
        "Records": [
            record("1", "INTERACTION#a"),
            record("2", "INTERACTION#a", fail="yes"),
            record("3", "INTERACTION#b"),
            record("4", "INTERACTION#a"),  # a message of the failed interaction: not handled ahead of it
            record("5", "INTERACTION#b"),
        ]
    }
    assert failed(consumer.consume(event, FakeContext())) == ["2", "4"]
    assert consumer.handled == ["1", "3", "5"]


def test_a_batch_starts_clean_and_a_batch_that_wholly_fails_is_answered_not_raised() -> None:
    consumer = Recorder()
    assert failed(consumer.consume({"Records": [record("1", "INTERACTION#a", fail="yes")]}, FakeContext())) == ["1"]
    assert failed(consumer.consume({"Records": [record("2", "INTERACTION#a")]}, FakeContext())) == []
    assert consumer.handled == ["2"]


def test_a_stream_change_reads_the_images_as_plain_values() -> None:
    raw = {
        "eventID": "e1",
        "eventName": "MODIFY",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795651200,
            "SequenceNumber": "100",
            "OldImage": {"entity": {"S": "agent"}, "load": {"N": "1"}},
            "NewImage": {
                "entity": {"S": "agent"},
                "load": {"N": "2"},
                "ratio": {"N": "0.5"},
                "tags": {"SS": ["b", "a"]},
            },
        },
    }
    change = StreamChange.from_raw(raw)
    assert change.entity == "agent" and change.event_name == "MODIFY" and change.event_id == "e1"
    assert change.new == {"entity": "agent", "load": 2, "ratio": 0.5, "tags": ["a", "b"]}
    assert change.old == {"entity": "agent", "load": 1}
    assert change.at == "2026-11-26T00:00:00Z" and change.sequence_number == "100"
    assert StreamChange.from_raw({"eventName": "INSERT", "dynamodb": {"NewImage": {"id": {"S": "x"}}}}).old is None
