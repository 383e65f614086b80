"""Writes per DynamoDB key while one account takes a burst of inbound SMS and their queue assignment.

In-process under moto: the real InboundMessageStore.record_inbound, then the table stream replayed into the triggers
handler in batches of 100 (as the event source mapping delivers them), then every assigned agent closes once.
Table writes are counted per item from the requests (botocore `before-parameter-build.dynamodb.*`, so a cancelled
conditional write counts too); index writes per partition are derived from the stream's old/new images the way
DynamoDB maintains a GSI (a key change is a delete plus a put; an update of a projected attribute is one write).
Run: `.venv/bin/python bench/routing_hot_keys.py [--messages 600 --phones 200 --agents 10 --capacity 5]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT)]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "TABLE_NAME": "bench-routing",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb.models.table import StreamShard  # noqa: E402

from smschannel import keys  # noqa: E402
from smschannel.dynamo import Table  # noqa: E402
from smschannel.models import Account, Agent, AgentStatus, InboundMessage, Queue  # noqa: E402
from smschannel.stores.configuration import ConfigurationStore  # noqa: E402
from smschannel.stores.inbound_messages import InboundMessageStore  # noqa: E402
from smschannel.stores.interactions import InteractionStore  # noqa: E402
from tests.conftest import FakeContext, create_table_from_template, load_function  # noqa: E402

TABLE = "bench-routing"
TARGET_RATE = 10_000  # inbound messages per second, one account, one queue
ITEM_LIMIT = 1_000  # DynamoDB's per-partition write ceiling (WCU/s)
# (index, partition attribute, attributes whose change rewrites the index entry)
INDEXES = [
    ("gsi1", "gsi1pk", ("gsi1pk", "gsi1sk")),
    ("gsi2", "gsi2pk", ("gsi2pk", "gsi2sk")),
    (
        "gsi3",
        keys.ROUTING_PARTITION,
        (keys.ROUTING_PARTITION, keys.ROUTING_SORT, "id", "accountId", "phone", "contactId", "queueId", "agentId",
         "createdAt", "waitingSince", "queueTimedOutAt"),
    ),
]  # fmt: skip


def family(key: str) -> str:
    """INTERACTION#int-3f... -> INTERACTION#*, QUEUE#support#WAITING#7 -> QUEUE#support#WAITING#*."""
    index, _, name = key.rpartition(": ")
    table_key = name.split(" | ")[0]
    parts = [part if (part.isupper() and part.isalpha()) or part == "support" else "*" for part in table_key.split("#")]
    return (f"{index}: " if index else "") + "#".join(parts)


class WriteCounter:
    def __init__(self, client: Any) -> None:
        self.items: Counter[str] = Counter()
        client.meta.events.register("before-parameter-build.dynamodb.*", self._count)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        operation = model.name
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._add(params.get("Key") or params.get("Item") or {})
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                ((kind, body),) = entry.items()
                if kind != "ConditionCheck":
                    self._add(body.get("Key") or body.get("Item") or {})

    def _add(self, key: dict[str, Any]) -> None:
        self.items[f"{key['pk']['S']} | {key['sk']['S']}"] += 1


def index_writes(records: list[dict[str, Any]]) -> Counter[str]:
    partitions: Counter[str] = Counter()
    for record in records:
        old = record["dynamodb"].get("OldImage") or {}
        new = record["dynamodb"].get("NewImage") or {}
        for index, partition, watched in INDEXES:
            before, after = old.get(partition, {}).get("S"), new.get(partition, {}).get("S")
            key_changed = (before, old.get(watched[1])) != (after, new.get(watched[1]))
            if key_changed:
                if before:
                    partitions[f"{index}: {before}"] += 1
                if after:
                    partitions[f"{index}: {after}"] += 1
            elif after and any(old.get(name) != new.get(name) for name in watched):
                partitions[f"{index}: {after}"] += 1
    return partitions


def read_stream(streams: Any, arn: str, shard: str, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    position = (
        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        if after
        else {"ShardIteratorType": "TRIM_HORIZON"}
    )
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **position)["ShardIterator"]
    records: list[dict[str, Any]] = []
    while True:
        response = streams.get_records(ShardIterator=iterator, Limit=1000)
        iterator = response["NextShardIterator"]
        if not response["Records"]:
            return records, (records[-1]["dynamodb"]["SequenceNumber"] if records else after)
        records += response["Records"]


def run(messages: int, phones: int, agents: int, capacity: int) -> None:
    # moto backs up the table (stream log included) before each transaction item: share the append-only log.
    StreamShard.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table_from_template(client, TABLE)
        counter = WriteCounter(client)
        table = Table(TABLE, client=client)
        configuration, interactions = ConfigurationStore(table), InteractionStore(table)
        inbound_messages = InboundMessageStore(table, interactions)
        agent_ids = [f"agent-{n}" for n in range(agents)]
        for agent_id in agent_ids:
            configuration.put_agent(Agent(id=agent_id, name=agent_id, capacity=capacity, status=AgentStatus.READY))
        configuration.put_queue(Queue(id="support", name="support", strategy="round-robin", agent_ids=agent_ids))
        account = Account(
            id="busy",
            name="Busy",
            provider="twilio",
            phone_number="+15005550006",
            credentials={"accountSid": "AC" + "0" * 32, "authToken": "x" * 32},
            queue_id="support",
        )
        configuration.put_account(account)
        triggers = load_function("triggers")
        triggers.consumer.changes.routing.store.table.client = client  # the one table every store of it shares
        arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
        streams = boto3.client("dynamodbstreams")
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        _, position = read_stream(streams, arn, shard, None)
        counter.items.clear()
        all_records: list[dict[str, Any]] = []

        def pump() -> None:
            nonlocal position
            while True:
                records, position = read_stream(streams, arn, shard, position)
                if not records:
                    return
                all_records.extend(records)
                routed = [r for r in records if r["dynamodb"].get("NewImage", {}).get("entity", {}).get("S") in
                          ("interaction", "agent")]  # fmt: skip
                for start in range(0, len(routed), 100):
                    batch = [{**r, "eventSourceARN": arn} for r in routed[start : start + 100]]
                    for record in batch:
                        record["dynamodb"] = {**record["dynamodb"], "ApproximateCreationDateTime": 0}
                    triggers.lambda_handler({"Records": batch}, FakeContext())

        started = time.perf_counter()
        interaction_ids = []
        for n in range(messages):
            phone = f"+1555{n % phones:07d}"
            inbound = InboundMessage(
                provider="twilio", provider_message_id="SM" + uuid.uuid4().hex, **{"from": phone}, to="+15005550006"
            )
            outcome = inbound_messages.record_inbound(account, inbound, phone, account.phone_number)
            interaction_ids.append(outcome.interaction_id)
        pump()
        opened = [interactions.get_interaction(i) for i in dict.fromkeys(interaction_ids)]
        assigned = [each.id for each in opened if each is not None and each.agent_id]
        for interaction_id in assigned:
            interactions.close_interaction(interaction_id, "resolved")
        pump()
        elapsed = time.perf_counter() - started
        print(f"burst: {messages} inbound messages from {phones} phones, 1 account/queue, {agents} agents x {capacity}")
        print(f"first assignment round: {len(assigned)} assigned, then each closed once (in-process, {elapsed:.1f} s)")
        report(counter.items, index_writes(all_records), messages, phones)


def report(items: Counter[str], partitions: Counter[str], messages: int, phones: int) -> None:
    scale = TARGET_RATE / messages
    print(f"\nscaled as if the burst were one second at {TARGET_RATE:,} msg/s (x{scale:.1f})\n")
    print("hottest table items (writes attempted, conditional failures included)")
    for key, count in items.most_common(8):
        print(f"  {count:6d}  ~{count * scale:8.0f}/s  {key}")
    print("\nhottest index partitions (index writes)")
    for key, count in partitions.most_common(8):
        print(f"  {count:6d}  ~{count * scale:8.0f}/s  {key}")
    print("\nwrites per key family (keys, total writes, max per key)")
    families: dict[str, list[int]] = {}
    for key, count in list(items.items()) + [(k, c) for k, c in partitions.items()]:
        families.setdefault(family(key), []).append(count)
    for name, counts in sorted(families.items(), key=lambda entry: -max(entry[1])):
        print(f"  {len(counts):6d} keys {sum(counts):7d} writes  max {max(counts):5d}  {name}")
    hottest = max([*items.values(), *partitions.values()])
    verdict = "under" if hottest * scale < ITEM_LIMIT else "OVER"
    print(f"\nhottest single key ~{hottest * scale:.0f} writes/s at {TARGET_RATE:,} msg/s: {verdict} {ITEM_LIMIT}/s")
    new_rate = TARGET_RATE * phones / messages
    print(
        f"waiting lists: {new_rate:,.0f} new conversations/s -> {2 * new_rate:,.0f} index writes/s over "
        f"{keys.WAITING_SHARDS} shards = ~{2 * new_rate / keys.WAITING_SHARDS:.0f}/s per shard "
        f"(worst case, every message a new phone: ~{2 * TARGET_RATE / keys.WAITING_SHARDS:.0f}/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--capacity", type=int, default=5)
    args = parser.parse_args()
    run(args.messages, args.phones, args.agents, args.capacity)


if __name__ == "__main__":
    main()
