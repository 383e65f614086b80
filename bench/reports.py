"""Bytes Athena scans per report per million interactions, and what that costs at $5 per TB scanned; with
`--firehose`, facts per second through the local stack's Firehose.

In-process, no stack: a conversation as bench/costs.py models it (4 customer SMS, 3 agent replies each stored,
sent and delivered, then the close) is built as table images and turned into its report facts by the domain
consumer's own code (smschannel.reports.facts), so the JSON lines measured are the ones Firehose writes. The facts
are JSON (Athena's JSON SerDe reads whole lines: every byte of the range's objects is scanned, whatever columns a
query names); a report reads its range's interaction facts and the message facts of the range plus a day each side
(reports/sql/*.sql). Athena bills at least 10 MB per query. Run: `.venv/bin/python bench/reports.py`.

`--firehose [--conversations N] [--writers K]` (after `make build`) starts the local stack and puts those facts
with the domain consumer's own sink (smschannel.reports.facts.FactSink: PutRecordBatch of up to 500) from K
concurrent writers (K stream shards' consumers) into the deployed FactsDeliveryStream, on a date of their own;
it reports facts/s acknowledged, and checks every fact landed under its `dt=` folder of the reports bucket (the
emulator's Firehose writes each record as it takes it; AWS buffers up to 15 minutes, by the template's hints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "core"))

from smschannel.reports.facts import facts_of, firehose_records
from smschannel.stream import StreamChange

PRICE_PER_TB = 5.0  # Athena, us-east-1, per TB scanned (https://aws.amazon.com/athena/pricing/)
MINIMUM_BYTES = 10 * 1024**2


def conversation(n: int, day: str = "2026-03-01") -> list[StreamChange]:
    interaction = f"0192f7a0-{n:04x}-7000-8000-{n:012x}"
    account, at = "demo-twilio", day + "T10:{:02d}:{:02d}.000Z"
    changes = []

    def message(m: int, direction: str, status: str, old_status: str | None) -> StreamChange:
        new = {
            "entity": "message",
            "id": f"{interaction}-m{m}",
            "interactionId": interaction,
            "accountId": account,
            "direction": direction,
            "status": status,
            "sender": "agent:agent-1" if direction == "out" else None,
            "segments": 1,
            "encoding": "GSM-7",
            "createdAt": at.format(m, 0),
            "statusAt": at.format(m, 5),
        }
        old = {**new, "status": old_status} if old_status else None
        return StreamChange(f"e-{n}-{m}-{status}", "MODIFY" if old else "INSERT", old, new)

    for m in range(4):
        changes.append(message(m, "in", "received", None))
    for m in range(4, 7):
        changes += [message(m, "out", "queued", None), message(m, "out", "sent", "queued")]
        changes.append(message(m, "out", "delivered", "sent"))
    base = {"entity": "interaction", "id": interaction, "accountId": account, "queueId": "support"}
    closed = {
        **base,
        "status": "closed",
        "agentId": "agent-1",
        "contactId": f"{account}#+14155550{n % 1000:03d}",
        "createdAt": at.format(0, 0),
        "assignedAt": at.format(0, 20),
        "closedAt": at.format(9, 0),
        "disposition": "resolved",
        "messageCount": 4,
        "replyCount": 3,
    }
    changes.append(StreamChange(f"e-{n}-close", "MODIFY", {**base, "status": "open"}, closed))
    return changes


def through_firehose(conversations: int, writers: int) -> None:
    """Facts per second through the local stack's Firehose, put as the domain consumer puts them."""
    import random
    import time
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    from smschannel.reports.facts import FactSink
    from tests.integration.conftest import local_stack

    day = f"2031-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"
    facts = [fact for n in range(conversations) for change in conversation(n, day) for fact in facts_of(change, _utc)]
    chunks = [facts[start::writers] for start in range(writers)]
    with local_stack() as stack:
        local = {
            "endpoint_url": stack.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "000000000000",
            "aws_secret_access_key": "local",
        }
        firehose, s3 = boto3.client("firehose", **local), boto3.client("s3", **local)
        (stream,) = [
            name for name in firehose.list_delivery_streams()["DeliveryStreamNames"] if name.endswith("-facts")
        ]
        (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if "-reports-" in b["Name"]]

        def write(chunk: list[Any]) -> tuple[int, int]:
            sink = FactSink(lambda: firehose, stream)
            put = lost = 0
            for start in range(0, len(chunk), 500):
                sink.add(chunk[start : start + 500])
                batch_put, batch_lost = sink.flush()
                put, lost = put + batch_put, lost + batch_lost
            return put, lost

        started = time.perf_counter()
        with ThreadPoolExecutor(writers) as pool:
            results = list(pool.map(write, chunks))
        elapsed = time.perf_counter() - started
        put, lost = sum(result[0] for result in results), sum(result[1] for result in results)
        paginator = s3.get_paginator("list_objects_v2")
        landed = sum(
            page.get("KeyCount", 0)
            for kind in ("interactions", "messages")
            for page in paginator.paginate(Bucket=bucket, Prefix=f"facts/{kind}/dt={day}/")
        )
    print(f"{len(facts)} facts ({conversations} conversations), {writers} writers, PutRecordBatch of 500, 2 cores")
    print(f"  put {put}, lost {lost}, landed in S3 {landed} objects (dt={day}) in {elapsed:.1f} s")
    print(f"  facts per second through the local Firehose: {put / elapsed:,.0f}")
    assert lost == 0 and landed == len(facts), "a fact did not land"


def _utc(_account: str) -> str:
    return "UTC"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--firehose", action="store_true", help="facts/s through the local stack's Firehose")
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    if args.firehose:
        through_firehose(args.conversations, args.writers)
        return
    sizes: dict[str, int] = {"interactions": 0, "messages": 0}
    counts: dict[str, int] = {"interactions": 0, "messages": 0}
    for n in range(args.conversations):
        facts = [fact for change in conversation(n) for fact in facts_of(change, lambda _account: "UTC")]
        for fact, record in zip(facts, firehose_records(facts), strict=True):
            sizes[fact.kind] += len(record["Data"])
            counts[fact.kind] += 1
    per_million = {kind: size * 1_000_000 / args.conversations for kind, size in sizes.items()}
    print(
        f"facts per interaction: {per_million['interactions'] / 1e6:.0f} B (interaction) + "
        f"{per_million['messages'] / 1e6:.0f} B ({counts['messages'] // args.conversations} message states)"
    )
    reports: dict[str, Any] = {
        "queues / agents / interactions": per_million["interactions"] + per_million["messages"],
        "messages": per_million["messages"],
    }
    print("bytes scanned per report over 1M interactions (JSON lines), and its Athena cost at $5/TB:")
    for name, scanned in reports.items():
        billed = max(scanned, MINIMUM_BYTES)
        print(f"  {name:32s} {scanned / 1e9:6.2f} GB  ${billed / 1e12 * PRICE_PER_TB:.4f}")


if __name__ == "__main__":
    main()
