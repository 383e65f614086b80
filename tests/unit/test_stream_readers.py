"""The table's stream has at most two readers: DynamoDB Streams serve two per shard before reads are throttled and
every reader's latency grows. The domain consumer (the triggers function: replies, triggers, routing) and the
fan-out are the two; a third reader (a function's stream event, an event source mapping, a pipe) fails here."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import load_template

MAX_READERS = 2


def is_table_stream(value: Any) -> bool:
    """`!GetAtt Table.StreamArn` in either of CloudFormation's spellings."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    [(function, argument)] = value.items()
    if function in ("GetAtt", "Fn::GetAtt"):
        return argument in ("Table.StreamArn", ["Table", "StreamArn"])
    return False


# What a resource other than a function's event reads the stream through: the property naming its source.
SOURCE_PROPERTY = {
    "AWS::Lambda::EventSourceMapping": "EventSourceArn",
    "AWS::Pipes::Pipe": "Source",
    "AWS::Serverless::Pipe": "Source",
}


def stream_readers(template: dict[str, Any]) -> list[str]:
    """What reads the table's stream: every function event on it, every event source mapping, every pipe."""
    readers = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Serverless::Function":
            for event_name, event in (properties.get("Events") or {}).items():
                if is_table_stream((event.get("Properties") or {}).get("Stream")):
                    readers.append(f"{name}.{event_name}")
        elif resource["Type"] in SOURCE_PROPERTY and is_table_stream(properties.get(SOURCE_PROPERTY[resource["Type"]])):
            readers.append(name)
    return readers


def test_the_table_stream_has_at_most_two_readers_the_domain_consumer_and_the_fan_out() -> None:
    readers = stream_readers(load_template())
    assert len(readers) <= MAX_READERS, f"{len(readers)} readers of the table stream: {readers}"
    assert sorted(reader.split(".")[0] for reader in readers) == ["FanoutFunction", "TriggersFunction"]


def test_a_third_reader_of_any_kind_is_counted() -> None:
    template = load_template()
    base = len(stream_readers(template))
    with_function = copy.deepcopy(template)
    events = with_function["Resources"]["OutboundFunction"]["Properties"]["Events"]
    events["NewReplies"] = {"Type": "DynamoDB", "Properties": {"Stream": {"GetAtt": "Table.StreamArn"}}}
    with_mapping = copy.deepcopy(template)
    with_mapping["Resources"]["Extra"] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]}},
    }
    with_pipe = copy.deepcopy(template)
    with_pipe["Resources"]["Extra"] = {
        "Type": "AWS::Pipes::Pipe",
        "Properties": {"Source": {"GetAtt": "Table.StreamArn"}},
    }
    for changed in (with_function, with_mapping, with_pipe):
        assert len(stream_readers(changed)) == base + 1
