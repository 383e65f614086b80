"""WebSocket frames per message from the fan-out, to supervisors and to agents, with 50 agents and 5 supervisors.

In-process under moto with the real functions (admin, triggers/routing, realtime, fan-out) and the table built from
template.yaml. 50 customers each open a conversation (routed, one per agent); then the burst: in every
conversation, turn after turn, the agent replies on the WebSocket (`sendMessage`), the reply goes `sent` then
`delivered` (the status a provider's callbacks write) and the customer answers. The table's stream is handed to
the routing and fan-out consumers after every `--per-batch` changes (what one stream poll of a shard gathers: 1 is
a quiet center, every change its own batch; 50 a busy one), and every `post_to_connection` of the fan-out is
counted by recipient (an agent's connection or a subscribed supervisor's) with its size. One supervisor has a
conversation open (`getInteraction`), the other four only watch the dashboard.

Run: `.venv/bin/python bench/supervisor_frames.py [--turns 3] [--per-batch 1 10 50] [--supervisor-frames all|watched]`.
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
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]
from bench.figures import in_process_environment  # noqa: E402

in_process_environment(
    TABLE_NAME="bench-frames",
    POWERTOOLS_METRICS_DISABLED="true",
    CONNECTIONS_ENDPOINT="https://ws123.execute-api.us-east-1.amazonaws.com/dev",
)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb.models.table import StreamShard  # noqa: E402

from tests.conftest import create_table_from_template  # noqa: E402

AGENTS = 50
SUPERVISORS = 5
WEBSOCKET_UNIT = 32 * 1024  # API Gateway bills a WebSocket message per 32 KB started


class Recipients:
    """The fan-out's post_to_connection calls, by recipient kind (connection ids start with `agent-`/`sup-`)."""

    def __init__(self) -> None:
        self.frames: Counter[str] = Counter()
        self.units: Counter[str] = Counter()
        self.bytes: Counter[str] = Counter()
        self.types: Counter[str] = Counter()
        self.feed_shown = 0  # feed entries the supervisors' updates carried, and left out (feedDropped)
        self.feed_dropped = 0

    def wrap(self, pusher: Any) -> None:
        from smschannel.realtime.push import encode

        send = pusher.send

        def counted(connection_id: str, frame: dict[str, Any]) -> bool:
            kind = "supervisor" if connection_id.startswith("sup-") else "agent"
            size = len(encode(frame))
            self.frames[kind] += 1
            self.bytes[kind] += size
            self.units[kind] += -(-size // WEBSOCKET_UNIT)
            self.types[f"{kind}:{frame.get('type')}"] += 1
            if frame.get("type") == "dashboard.update":
                self.feed_shown += len(frame.get("feed") or [])
                self.feed_dropped += int(frame.get("feedDropped") or 0)
            return bool(send(connection_id, frame))

        pusher.send = counted


class Burst:
    """The center: 50 agents, 5 supervisors subscribed, the stream handed to the consumers every `per_batch` changes."""

    def __init__(self, per_batch: int) -> None:
        from smschannel.settings import get_settings
        from tests.component.harness import Realtime, Routing

        table = f"bench-{uuid.uuid4().hex[:8]}"
        os.environ["TABLE_NAME"] = table
        # The domain consumer puts replies on the sender's FIFO queue (they are not sent here: only frames count).
        replies = boto3.client("sqs").create_queue(
            QueueName=f"{table}.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        )
        os.environ["OUTBOUND_QUEUE_URL"] = replies["QueueUrl"]
        get_settings.cache_clear()
        create_table_from_template(boto3.client("dynamodb"), table)
        self.world = Routing({"table": table})
        self.agents = [f"agent-{n:02d}" for n in range(AGENTS)]
        for agent_id in self.agents:
            self.world.agent(agent_id, capacity=5)
        self.world.queue("support", agentIds=self.agents, strategy="round-robin", serviceLevelSeconds=60)
        self.world.use_queue("support")
        self.realtime = Realtime(self.world)
        for agent_id in self.agents:
            self.realtime.connect(agent_id, "agent", agent_id)
        self.supervisors = [f"sup-{n}" for n in range(SUPERVISORS)]
        for supervisor in self.supervisors:
            self.realtime.connect(supervisor, "supervisor")
            self.realtime.act(supervisor, "supervisor", None, action="subscribe", topic="dashboard")
        self.world.stream.read()  # the connection items are not the fan-out's business
        self.recipients = Recipients()
        self.recipients.wrap(self.realtime.fanout.consumer.fanout.pusher)
        self.per_batch = per_batch
        self.pending = 0
        self.messages = 0

    def changed(self) -> None:
        self.pending += 1
        if self.pending >= self.per_batch:
            self.realtime.pump()
            self.pending = 0

    def open_conversations(self) -> dict[str, tuple[str, str]]:
        """agent id -> (its interaction, the customer's phone)."""
        from tests.component.harness import phone

        phones = [phone(9000 + n) for n in range(AGENTS)]
        opened: list[str] = []
        for customer in phones:
            opened.append(self.world.sms(customer, "Hello, where is my order?").interaction_id)
            self.messages += 1
            self.changed()
        self.realtime.pump()
        owners = [str(self.world.interaction(interaction_id)["agentId"]) for interaction_id in opened]
        assert sorted(owners) == self.agents, "routing gives each agent one conversation"
        return dict(zip(owners, zip(opened, phones, strict=True), strict=True))

    def turn(self, turn: int, agent_id: str, interaction_id: str, customer: str) -> None:
        """The agent replies, the reply is sent then delivered, the customer answers."""
        client_id = f"t{turn}"
        self.realtime.act(
            agent_id,
            "agent",
            agent_id,
            action="sendMessage",
            interactionId=interaction_id,
            body=f"Turn {turn}: it left the warehouse this morning.",
            clientMessageId=client_id,
        )
        self.messages += 1
        self.changed()
        from smschannel import keys

        reply_id = keys.outbound_message_id(interaction_id, client_id)
        [reply] = [m for m in self.world.interactions.list_messages(interaction_id) if m.id == reply_id]
        for status in ("sent", "delivered"):
            set_status(self.world, reply, status)
            self.changed()
        self.world.sms(customer, f"Thanks! (turn {turn})")
        self.messages += 1
        self.changed()


def run(turns: int, per_batch: int) -> dict[str, Any]:
    started = time.perf_counter()
    burst = Burst(per_batch)
    conversations = burst.open_conversations()
    # One supervisor opens a conversation; the others only watch the dashboard.
    watched = conversations[burst.agents[0]][0]
    burst.realtime.act(burst.supervisors[0], "supervisor", None, action="getInteraction", interactionId=watched)
    burst.world.stream.read()
    for turn in range(turns):
        for agent_id in burst.agents:
            burst.turn(turn, agent_id, *conversations[agent_id])
    burst.realtime.pump()
    return {
        "perBatch": per_batch,
        "messages": burst.messages,
        "batches": len(burst.realtime.responses),
        "recipients": burst.recipients,
        "seconds": time.perf_counter() - started,
    }


def set_status(world: Any, message: Any, status: str) -> None:
    from smschannel import keys
    from smschannel.dynamo import to_item, to_values

    ranks = {"sent": 2, "delivered": 4}  # smschannel.models.STATUS_RANK
    world.table.client.update_item(
        TableName=world.table.name,
        Key=to_item(keys.message(message.interaction_id, message.created_at, message.id)),
        UpdateExpression="SET #s = :s, statusRank = :r",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=to_values({":s": status, ":r": ranks[status]}),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--per-batch", type=int, nargs="+", default=[1, 10, 50])
    # all: the contract's default (every supervisor gets every conversation frame); watched: SupervisorFrames=watched.
    parser.add_argument("--supervisor-frames", choices=["all", "watched"], default="watched")
    arguments = parser.parse_args()
    os.environ["SUPERVISOR_FRAMES"] = arguments.supervisor_frames
    StreamShard.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    results = []
    with mock_aws():
        boto3.client("s3").create_bucket(Bucket="bench-archive")
        for per_batch in arguments.per_batch:
            results.append(run(arguments.turns, per_batch))
    print(
        f"{AGENTS} agents and {SUPERVISORS} supervisors connected (1 with a conversation open), moto, in-process, "
        f"SUPERVISOR_FRAMES={arguments.supervisor_frames}"
    )
    header = (
        f"{'changes/batch':>13} {'messages':>8} {'batches':>7} {'to supervisors/msg':>18} {'to agents/msg':>13} "
        f"{'sup. bytes/frame':>16} {'sup. 32KB units/msg':>19}"
    )
    print(header)
    for result in results:
        counted: Recipients = result["recipients"]
        messages = result["messages"]
        supervisor_frames = counted.frames["supervisor"]
        print(
            f"{result['perBatch']:>13} {messages:>8} {result['batches']:>7} {supervisor_frames / messages:>18.2f} "
            f"{counted.frames['agent'] / messages:>13.2f} "
            f"{counted.bytes['supervisor'] / max(1, supervisor_frames):>16.0f} "
            f"{counted.units['supervisor'] / messages:>19.2f}"
        )
    for result in results:
        types = ", ".join(f"{name} {count}" for name, count in sorted(result["recipients"].types.items()))
        print(f"  {result['perBatch']} change(s)/batch: {types} ({result['seconds']:.0f} s)")
        counted = result["recipients"]
        print(f"    feed entries in the supervisors' updates: {counted.feed_shown}, left out: {counted.feed_dropped}")


if __name__ == "__main__":
    main()
