"""DynamoDB write units and SQS requests per outbound message, along the whole path: the reply, the stream
enqueue, the send (claim, provider call, `sent` with its pointer) and the provider's two status callbacks.

In-process under moto with the real functions (admin, inbound, outbound), the table built from template.yaml and
the local stack's provider sandbox over real HTTP; calls are counted with botocore's event hooks. The SQS
receive/delete requests are those Lambda's event source mapping makes for these batches (it also long-polls an
idle queue, which AWS does not bill per message). Run: `.venv/bin/python bench/outbound_costs.py [N]`.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]
from bench.figures import in_process_environment  # noqa: E402

in_process_environment(RETRY_BASE_SECONDS="0")

import boto3  # noqa: E402
from botocore.session import Session  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.dynamodb.models.table import StreamShard  # noqa: E402

from bench.figures import write_units  # noqa: E402
from tests.conftest import create_table_from_template  # noqa: E402

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 50
# The same stages measured on the code before (the reply and `sent` were transactions).
BEFORE = (8.0, 0.0, 5.0, 2.0)


class Meter:
    """Every DynamoDB and SQS call of every client in this process."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.wcu = 0.0
        self.sqs_requests = 0
        original = Session.create_client

        def create_client(session: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
            client = original(session, service_name, *args, **kwargs)
            client.meta.events.register(f"before-parameter-build.{service_name}.*", self._count)
            return client

        Session.create_client = create_client  # type: ignore[method-assign]

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}:{model.name}"] += 1
        if service == "sqs":
            self.sqs_requests += 1
        else:
            self.wcu += write_units(model.name, params)

    def take(self) -> tuple[float, int, Counter[str]]:
        result = (self.wcu, self.sqs_requests, self.calls)
        self.wcu, self.sqs_requests, self.calls = 0.0, 0, Counter()
        return result


def main() -> None:
    meter = Meter()
    StreamShard.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    with mock_aws():
        from local.sandbox import SandboxState, start_sandbox
        from smschannel.dynamo import Table
        from smschannel.stores.configuration import ConfigurationStore
        from tests.component.test_outbound import Outbound, create_queues, free_port, requests_applied_atomically

        create_table_from_template(boto3.client("dynamodb"), "bench")
        boto3.client("s3").create_bucket(Bucket="bench-archive")
        queues = create_queues()
        os.environ["OUTBOUND_QUEUE_URL"] = queues["queue"]
        port = free_port()
        state = SandboxState(
            http_base="http://127.0.0.1:9", configuration=ConfigurationStore(Table("bench")), auto_status=False
        )
        server = start_sandbox(state, port)
        world = Outbound({"table": "bench"}, f"http://127.0.0.1:{port}/sandbox", state, queues)
        world.account()
        interactions = [world.sms("hello", phone=f"+1415555{n:04d}") for n in range(MESSAGES)]
        world.stream.read()
        meter.take()

        stages: list[tuple[str, float, int]] = []
        for n, interaction_id in enumerate(interactions):
            world.reply(interaction_id, f"Your order {n} left this morning.", "c-1")
        stages.append(("reply stored (POST .../messages)", *meter.take()[:2]))
        world.enqueue_new_replies()
        stages.append(("stream -> FIFO queue (SendMessageBatch)", *meter.take()[:2]))
        # The sender sends a batch's group heads on threads: moto must apply each request atomically, as DynamoDB
        # does (else a claim races its own send), and the stage ends when every reply is sent, not when the queue
        # looks empty.
        with requests_applied_atomically():
            world.pump_until(lambda: len(world.outbox()) == MESSAGES)
        stages.append(("send: receive, claim, provider, pointer+sent, delete", *meter.take()[:2]))
        sent = [world.messages(interaction_id)[0] for interaction_id in interactions]
        assert all(message["providerMessageId"] for message in sent), "a reply was not sent"
        meter.take()
        for message in sent:
            meter.take()
            world.status_callback(message["providerMessageId"], "sent")
            world.status_callback(message["providerMessageId"], "delivered")
            stage = meter.take()
            stages.append(("status callbacks sent + delivered", stage[0], stage[1]))
        server.shutdown()

    callbacks = [stage for stage in stages if stage[0].startswith("status")]
    rows = [stage for stage in stages if not stage[0].startswith("status")]
    rows.append(("status callbacks sent + delivered", sum(s[1] for s in callbacks), sum(s[2] for s in callbacks)))
    print(f"{MESSAGES} replies to {MESSAGES} interactions (moto, in-process), per message:")
    print(f"{'stage':56} {'write units':>12} {'before':>8} {'SQS requests':>13}")
    total_wcu = total_sqs = 0.0
    for (name, wcu, sqs), before in zip(rows, BEFORE, strict=True):
        total_wcu += wcu / MESSAGES
        total_sqs += sqs / MESSAGES
        print(f"{name:56} {wcu / MESSAGES:12.2f} {before:8.2f} {sqs / MESSAGES:13.2f}")
    print(f"{'total':56} {total_wcu:12.2f} {sum(BEFORE):8.2f} {total_sqs:13.2f}")
    print(
        "\nBefore: the reply was one 4-item transaction (client-id pointer, interaction and opt-out checks, message)"
        "\nand `sent` a 2-item one (message, provider-id pointer), each item billed twice. Now every write is a"
        "\nsingle item: pointer, reply counter (the 409 a close waits on), message; claim, pointer, `sent`; a"
        "\ncallback that moves nothing is a read. Table writes only: the outbox index entry adds 2 index writes."
    )


if __name__ == "__main__":
    main()
