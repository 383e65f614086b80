"""DynamoDB round trips and write units per inbound message, by path (open, warm join, cold join, retry).

In-process under moto, through the real InboundMessageStore; round trips are counted with botocore's event hooks and
write units computed from the item sizes the way DynamoDB bills them (a transactional write costs 2 WCU per
started KB of each item). Run: `.venv/bin/python bench/inbound_round_trips.py`.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "layers" / "core"), str(ROOT)]
os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.figures import write_units  # noqa: E402
from smschannel.dynamo import Table  # noqa: E402
from smschannel.models import Account, InboundMessage  # noqa: E402
from smschannel.stores.inbound_messages import InboundMessageStore  # noqa: E402
from smschannel.stores.interactions import InteractionStore  # noqa: E402
from tests.conftest import create_table_from_template  # noqa: E402

# The same rows measured on the code before (the join and the open were each one transaction).
BEFORE = (10.0, 6.0, 6.0, 6.0, 6.67, 6.67)


class Meter:
    def __init__(self, client: Any) -> None:
        self.calls: list[str] = []
        self.wcu = 0.0
        client.meta.events.register("before-parameter-build.dynamodb.*", self._count)

    def _count(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append(model.name)
        self.wcu += write_units(model.name, params)

    def take(self) -> tuple[int, float]:
        result = (len(self.calls), self.wcu)
        self.calls, self.wcu = [], 0.0
        return result


def main() -> None:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table_from_template(client, "bench")
        table = Table("bench", client=client)

        def container() -> InboundMessageStore:
            """A fresh container's stores: nothing cached."""
            return InboundMessageStore(table, InteractionStore(table))

        inbound_messages = container()
        account = Account(id="acme", name="A", provider="twilio", phone_number="+15005550006", queue_id="support")
        meter = Meter(client)

        def send(phone: str, pmid: str | None = None, repo: InboundMessageStore = inbound_messages) -> None:
            body = "Hello, I would like to change the delivery address of my order 12345, please."
            message = InboundMessage(
                provider="twilio",
                provider_message_id=pmid or uuid.uuid4().hex,
                **{"from": phone},
                to="+15005550006",
                body=body,
            )
            repo.record_inbound(account, message, phone, "+15005550006")

        rows = []
        send("+14155550001")
        rows.append(("open a new interaction", *meter.take()))
        for _ in range(20):
            send("+14155550001")
        calls, wcu = meter.take()
        rows.append(("join, interaction known to this container", calls / 20, wcu / 20))
        cold = container()
        send("+14155550001", repo=cold)
        rows.append(("join, cold container (first message it sees)", *meter.take()))
        send("+14155550001", pmid="dup-1")
        meter.take()
        send("+14155550001", pmid="dup-1")
        rows.append(("provider retry (duplicate id)", *meter.take()))
        # A realistic mix: conversations of 6 inbound messages, every container warm after its first.
        for conversation in range(50):
            for _ in range(6):
                send(f"+1415556{conversation:04d}")
        calls, wcu = meter.take()
        rows.append(("mix: 6-message conversations, warm", calls / 300, wcu / 300))
        # At scale most messages land on a container that has not seen their phone.
        for conversation in range(50):
            for _ in range(6):
                send(f"+1415557{conversation:04d}", repo=container())
        calls, wcu = meter.take()
        rows.append(("mix: 6-message conversations, all cold", calls / 300, wcu / 300))

    print(f"{'path':48} {'round trips':>12} {'write units':>12} {'before':>8}")
    for (name, calls, wcu), before in zip(rows, BEFORE, strict=True):
        print(f"{name:48} {calls:12.2f} {wcu:12.2f} {before:8.2f}")
    print(
        "\nBefore: the join was one TransactWriteItems of 3 items (interaction counter, message, provider-id"
        "\npointer), billed 2 WCU per item-KB = 6, and a refused retry was that transaction cancelled (6)."
        "\nNow no join is a transaction: the pointer (a conditional Put, the duplicate guard: a refused retry"
        "\ncosts this 1 WCU), the counter (a conditional UpdateItem that commits the join while the"
        "\ninteraction is open), the message: 3 WCU in 3 round trips; the close waits for every counted join's"
        "\nmessage, so none lands after it. Opening: the pointer, then session + interaction + contact +"
        "\nmessage in one transaction (9). Index writes (gsi1/gsi2 on open, 2 WCU) are not counted here."
    )


if __name__ == "__main__":
    main()
