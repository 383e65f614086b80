"""A stream batch's replies onto the FIFO queue (smschannel.outbound.enqueue): SendMessageBatch calls of up to 10,
one reply of a conversation per call, and a refused reply never overtaken by the next one of its conversation."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import EndpointConnectionError

from smschannel.dynamo import Table
from smschannel.outbound.enqueue import Enqueuer, new_reply
from smschannel.stores.outbound import OutboundRef
from smschannel.stream import StreamChange


class Sqs:
    """SendMessageBatch as SQS answers it: the entries whose message id is in `refused` come back in `Failed`,
    the others are taken (recorded in `sent`); `down` makes the whole call fail."""

    def __init__(self, refused: set[str] | None = None, down: bool = False) -> None:
        self.refused = refused or set()
        self.down = down
        self.calls: list[list[str]] = []
        self.sent: list[tuple[str, str]] = []  # (group, message id), in the order SQS took them

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        entries = request["Entries"]
        self.calls.append([entry["MessageDeduplicationId"] for entry in entries])
        if self.down:
            raise EndpointConnectionError(endpoint_url="https://sqs.example")
        failed = [entry for entry in entries if entry["MessageDeduplicationId"] in self.refused]
        for entry in entries:
            if entry not in failed:
                self.sent.append((entry["MessageGroupId"], entry["MessageDeduplicationId"]))
        return {
            "Successful": [{"Id": entry["Id"]} for entry in entries if entry not in failed],
            "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "no"} for e in failed],
        }


def enqueuer(sqs: Sqs) -> Enqueuer:
    return Enqueuer(Table("table", client=object()), "https://sqs.example/q.fifo", client=sqs)


def ref(interaction: str, n: int) -> OutboundRef:
    return OutboundRef(f"{interaction}-{n}", interaction, f"MESSAGE#2026-01-01T00:00:0{n}.000Z#{interaction}-{n}")


def test_one_reply_each_of_many_conversations_goes_out_in_calls_of_ten() -> None:
    sqs = Sqs()
    refs = [ref(f"i{n:02d}", 0) for n in range(23)]
    assert enqueuer(sqs).enqueue_in_order(refs) == {}
    assert [len(call) for call in sqs.calls] == [10, 10, 3]
    assert [message for _, message in sqs.sent] == [each.message_id for each in refs]


def test_a_conversation_s_replies_go_one_per_call_in_their_order() -> None:
    sqs = Sqs()
    refs = [ref("a", 0), ref("b", 0), ref("a", 1), ref("a", 2), ref("b", 1)]
    assert enqueuer(sqs).enqueue_in_order(refs) == {}
    assert sqs.calls == [["a-0", "b-0"], ["a-1", "b-1"], ["a-2"]]
    assert [message for group, message in sqs.sent if group == "a"] == ["a-0", "a-1", "a-2"]


def test_a_refused_reply_holds_back_the_rest_of_its_conversation_only() -> None:
    sqs = Sqs(refused={"a-1"})
    refs = [ref("a", 0), ref("a", 1), ref("a", 2), ref("b", 0), ref("b", 1)]
    not_sent = enqueuer(sqs).enqueue_in_order(refs)
    assert set(not_sent) == {"a-1", "a-2"}
    assert "InternalError" in not_sent["a-1"] and not_sent["a-2"] == "held back behind a-1"
    assert sqs.sent == [("a", "a-0"), ("b", "b-0"), ("b", "b-1")]
    assert all("a-2" not in call for call in sqs.calls)  # never sent ahead of the refused one


def test_a_failed_call_fails_every_reply_of_it() -> None:
    sqs = Sqs(down=True)
    not_sent = enqueuer(sqs).enqueue_in_order([ref("a", 0), ref("a", 1), ref("b", 0)])
    assert set(not_sent) == {"a-0", "a-1", "b-0"} and sqs.calls == [["a-0", "b-0"]]
    assert not_sent["a-1"] == "held back behind a-0" and "SendMessageBatch failed" in not_sent["b-0"]


def test_only_a_new_queued_reply_is_one() -> None:
    def change(name: str, **image: str) -> StreamChange:
        item = {"id": "m1", "interactionId": "i1", "sk": "MESSAGE#x#m1", **image}
        return StreamChange("e1", name, None, item)

    reply = {"entity": "message", "direction": "out", "status": "queued"}
    assert new_reply(change("INSERT", **reply)) == OutboundRef("m1", "i1", "MESSAGE#x#m1")
    assert new_reply(change("MODIFY", **reply)) is None
    assert new_reply(change("INSERT", **{**reply, "status": "sent"})) is None
    assert new_reply(change("INSERT", **{**reply, "direction": "in"})) is None
    assert new_reply(change("INSERT", **{**reply, "entity": "interaction"})) is None
