"""Bytes Athena scans per report per million interactions, and what that costs at $5 per TB scanned.

In-process, no stack: a conversation as bench/costs.py models it (4 customer SMS, 3 agent replies each stored,
sent and delivered, then the close) is built as table images and turned into its report facts by the domain
consumer's own code (smschannel.reports.facts), so the JSON lines measured are the ones Firehose writes. The facts
are JSON (Athena's JSON SerDe reads whole lines: every byte of the range's objects is scanned, whatever columns a
query names); a report reads its range's interaction facts and the message facts of the range plus a day each side
(reports/sql/*.sql). Athena bills at least 10 MB per query. Run: `.venv/bin/python bench/reports.py`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "core"))

from smschannel.reports.facts import facts_of, firehose_records
from smschannel.stream import StreamChange

PRICE_PER_TB = 5.0  # Athena, us-east-1, per TB scanned (https://aws.amazon.com/athena/pricing/)
MINIMUM_BYTES = 10 * 1024**2


def conversation(n: int) -> list[StreamChange]:
    interaction = f"0192f7a0-{n:04x}-7000-8000-{n:012x}"
    account, at = "demo-twilio", "2026-03-01T10:{:02d}:{:02d}.000Z"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    args = parser.parse_args()
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
