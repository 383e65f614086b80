"""Replies end to end in-process: the admin and inbound functions under moto, the table's real stream replayed into
functions/triggers (the domain consumer, through its template FilterCriteria), which puts new replies on a moto SQS
FIFO queue (with its dead-letter queue) driven into functions/outbound as Lambda's event source mapping drives it,
and the local stack's provider sandbox answering the provider API over real HTTP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import quote

import boto3
import pytest
import requests
from botocore.client import BaseClient

from local.sandbox import SandboxState, start_sandbox
from smschannel.dynamo import Table
from smschannel.outbound.enqueue import new_reply
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stream import StreamChange
from tests.component.harness import SID, TOKEN, TRIGGERS_FILTER, TableStream, eventually, post, twilio_form
from tests.conftest import FakeContext, admin, load_function, load_template

PHONE = "+14155552671"
OUR_NUMBER = "+15005550006"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Outbound:
    def __init__(self, names: dict[str, str], sandbox: str, state: SandboxState, queues: dict[str, str]) -> None:
        self.names = names
        self.sandbox = sandbox
        self.state = state
        self.queue_url = queues["queue"]
        self.dlq_url = queues["dlq"]
        self.sqs = boto3.client("sqs")
        self.admin = load_function("admin")
        self.inbound = load_function("inbound")
        self.outbound = load_function("outbound")
        self.triggers = load_function("triggers")  # the table stream's domain consumer: it enqueues new replies
        self.stream_responses: list[dict[str, Any]] = []
        self.stream = TableStream(names["table"])
        self.table = Table(names["table"])

    # --- setup -----------------------------------------------------------------------------------------------

    def account(self, account_id: str = "acme", **options: Any) -> None:
        body = {
            "name": "Acme",
            "provider": "twilio",
            "phoneNumber": OUR_NUMBER,
            "credentials": {"accountSid": SID, "authToken": TOKEN},
            "defaultRegion": "US",
            "apiBaseUrl": f"{self.sandbox}/api/twilio/{account_id}",
            "options": options,
        }
        status, parsed = admin(self.admin, "PUT", f"/admin/accounts/{account_id}", body)
        assert status in (200, 201), parsed

    def sms(self, body: str, phone: str = PHONE, sid: str | None = None) -> str:
        """A customer's SMS through the inbound webhook (Twilio-signed); returns its interaction id."""
        sid = sid or f"SM{time.time_ns()}"
        status, _, _ = post(self.inbound, twilio_form(phone, body, sid))
        assert status == 200
        return self.interaction_of(phone)

    def interaction_of(self, phone: str) -> str:
        status, body = admin(self.admin, "GET", "/admin/interactions", query={"accountId": "acme", "phone": phone})
        assert status == 200, body
        [interaction] = [item for item in body["items"] if item["status"] == "open"]
        return str(interaction["id"])

    def reply(self, interaction_id: str, body: str, client_id: str, **extra: Any) -> tuple[int, Any]:
        payload = {"body": body, "clientMessageId": client_id, **extra}
        return admin(self.admin, "POST", f"/admin/interactions/{interaction_id}/messages", payload)

    def messages(self, interaction_id: str, direction: str = "out") -> list[dict[str, Any]]:
        status, body = admin(self.admin, "GET", f"/admin/interactions/{interaction_id}")
        assert status == 200, body
        return [message for message in body["messages"] if message["direction"] == direction]

    def fault(self, mode: str, count: int = 1) -> None:
        answer = requests.post(
            f"{self.sandbox}/faults", json={"provider": "twilio", "mode": mode, "count": count}, timeout=5
        )
        assert answer.status_code == 200, answer.text

    def outbox(self) -> list[dict[str, Any]]:
        return list(requests.get(f"{self.sandbox}/outbox", timeout=5).json()["items"])

    # --- Lambda's event source mappings, played in-process ---------------------------------------------------

    def enqueue_new_replies(self) -> int:
        """The table stream into the domain consumer, in its mapping's batches; returns the replies it enqueued."""
        records = [record for record in self.stream.read() if TRIGGERS_FILTER(record)]
        enqueued = 0
        for start in range(0, len(records), STREAM_BATCH):
            enqueued += self.deliver_stream(records[start : start + STREAM_BATCH])
        return enqueued

    def deliver_stream(self, records: list[dict[str, Any]]) -> int:
        """One stream batch into the triggers function; returns how many of its replies were enqueued (not failed)."""
        response: dict[str, Any] = self.triggers.lambda_handler({"Records": records}, FakeContext())
        self.stream_responses.append(response)
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        return sum(1 for record in records if is_new_reply(record) and sequence(record) not in failed)

    def receive(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        )
        return list(response.get("Messages", []))

    def deliver(self, messages: list[dict[str, Any]]) -> set[str]:
        """One SQS batch into the handler; successes are deleted as the mapping deletes them. Returns failures."""
        response = self.invoke({"Records": [sqs_record(message, self.queue_url) for message in messages]})
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        done = [message for message in messages if message["MessageId"] not in failed]
        if done:  # one DeleteMessageBatch, as the mapping deletes a batch's successes
            entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return failed

    def pump(self, seconds: float = 0.0) -> None:
        """Stream to queue, then the queue to the sender until it is empty (waiting up to `seconds` for delayed
        messages to come back)."""
        self.enqueue_new_replies()
        deadline = time.monotonic() + seconds

        def drained_until_the_deadline() -> bool:
            while messages := self.receive():
                self.deliver(messages)
            return time.monotonic() >= deadline

        eventually(drained_until_the_deadline, timeout=seconds + 60, interval=0.2, what="the queue drained")

    def pump_until(self, outcome: Callable[[], bool], timeout: float = 60.0) -> None:
        """Stream to queue, then the queue to the sender (delayed messages as they come back) until `outcome`."""
        self.enqueue_new_replies()

        def drained_and_done() -> bool:
            while messages := self.receive():
                self.deliver(messages)
            return outcome()

        eventually(drained_and_done, timeout=timeout, interval=0.2, what="the outcome of the sends")

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = self.outbound.lambda_handler(event, FakeContext())
        return response

    def status_callback(self, provider_message_id: str, status: str) -> int:
        form = {"MessageSid": provider_message_id, "MessageStatus": status, "AccountSid": SID}
        code, _, _ = post(self.inbound, form, path="/webhooks/acme/status")
        return code

    def dead_letters(self) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return list(response.get("Messages", []))


STREAM_BATCH = load_template()["Resources"]["TriggersFunction"]["Properties"]["Events"]["TableChanges"]["Properties"][
    "BatchSize"
]


def is_new_reply(record: dict[str, Any]) -> bool:
    return new_reply(StreamChange.from_raw(record)) is not None


def sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def sqs_record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    """An SQS message as Lambda hands it to the function (the documented event shape)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1],
        "awsRegion": "us-east-1",
    }


def create_queues() -> dict[str, str]:
    """The outbound queue and its dead-letter queue with template.yaml's own properties."""
    resources = load_template()["Resources"]
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="outbound-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    props = resources["OutboundQueue"]["Properties"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
    queue = sqs.create_queue(
        QueueName="outbound.fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": str(props["ContentBasedDeduplication"]).lower(),
            "VisibilityTimeout": str(props["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return {"queue": queue, "dlq": dlq}


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    from moto.dynamodb.models.table import StreamShard

    from smschannel.settings import get_settings

    monkeypatch.setattr(StreamShard, "__deepcopy__", lambda self, memo: self, raising=False)
    # SQS FIFO blocks a message group only while one of its messages is in flight (invisible); moto also counts
    # messages whose visibility ran out until each is received again, so it would hand the group's last message
    # out first. Count only the invisible ones, as SQS does.
    from moto.sqs.models import Queue

    monkeypatch.setattr(
        Queue,
        "pending_message_groups",
        property(lambda self: {m.group_id for m in self._pending_messages if m.group_id and not m.visible}),
    )
    queues = create_queues()
    env = load_template()["Resources"]["OutboundFunction"]["Properties"]["Environment"]["Variables"]
    monkeypatch.setenv("OUTBOUND_QUEUE_URL", queues["queue"])
    monkeypatch.setenv("MAX_SEND_ATTEMPTS", env["MAX_SEND_ATTEMPTS"])
    monkeypatch.setenv("RETRY_BASE_SECONDS", "0.5")
    monkeypatch.setenv("OUTBOX_SWEEP_SECONDS", "0")
    get_settings.cache_clear()
    port = free_port()
    state = SandboxState(
        http_base="http://127.0.0.1:9", configuration=ConfigurationStore(Table(aws["table"])), auto_status=False
    )
    server = start_sandbox(state, port)
    world = Outbound(aws, f"http://127.0.0.1:{port}/sandbox", state, queues)
    world.account()
    try:
        # The sender sends its batch's group heads on threads: keep moto to DynamoDB's per-request atomicity.
        with requests_applied_atomically():
            yield world
    finally:
        server.shutdown()
        server.server_close()


# --- reply: exactly once, in order -----------------------------------------------------------------------------


def test_a_reply_posted_three_times_is_stored_once_sent_once_and_delivered(world: Outbound) -> None:
    interaction_id = world.sms("Where is my parcel?")
    answers = [world.reply(interaction_id, "It left this morning.", "c-1") for _ in range(3)]
    assert {status for status, _ in answers} == {202}
    [message] = {json.dumps(body["message"], sort_keys=True) for _, body in answers}
    reply = json.loads(message)
    assert reply["status"] == "queued" and reply["encoding"] == "GSM-7" and reply["segments"] == 1
    assert reply["sender"] == "admin" and reply["to"] == PHONE and reply["from"] == OUR_NUMBER

    world.pump()
    [sent] = world.outbox()
    assert (sent["to"], sent["from"], sent["body"]) == (PHONE, OUR_NUMBER, "It left this morning.")
    [stored] = world.messages(interaction_id)
    assert stored["status"] == "sent" and stored["providerMessageId"] == "SM" + sent["messageId"]

    # Callbacks in any order: a late `sent` never overwrites `delivered`.
    assert world.status_callback(stored["providerMessageId"], "delivered") == 200
    assert world.status_callback(stored["providerMessageId"], "sent") == 200
    assert world.messages(interaction_id)[0]["status"] == "delivered"
    # A retry after the send still answers the first message and sends nothing more.
    status, body = world.reply(interaction_id, "It left this morning.", "c-1")
    assert status == 202 and body["message"]["id"] == reply["id"]
    world.pump()
    assert len(world.outbox()) == 1


def test_replies_of_one_interaction_leave_in_the_order_they_were_written(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    for n in range(8):
        assert world.reply(interaction_id, f"part {n}", f"c-{n}")[0] == 202
    world.fault("500", 1)  # the first send fails: the others of the group wait behind it
    world.pump(seconds=4)
    assert [item["body"] for item in world.outbox()] == [f"part {n}" for n in range(8)]


@contextmanager
def requests_applied_atomically() -> Iterator[None]:
    """DynamoDB applies each request atomically (a conditional write is checked and written as one step); moto,
    called from several threads, does not. One request at a time restores that guarantee and nothing more: the
    racing senders still interleave between their requests, as concurrent Lambda invocations do."""
    lock = threading.RLock()  # reentrant: a test's hook may call DynamoDB from inside a request, on its thread
    make_api_call = BaseClient._make_api_call

    def one_at_a_time(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        with lock:
            return make_api_call(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", one_at_a_time):
        yield


def test_a_redelivered_batch_and_concurrent_deliveries_send_nothing_twice(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    for n in range(3):
        world.reply(interaction_id, f"r{n}", f"c-{n}")
    world.enqueue_new_replies()
    messages = world.receive()
    assert len(messages) == 3
    event = {"Records": [sqs_record(message, world.queue_url) for message in messages]}
    threads = [threading.Thread(target=world.invoke, args=(event,)) for _ in range(4)]
    with requests_applied_atomically():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    world.invoke(event)  # and SQS redelivers the whole batch once more
    assert sorted(item["body"] for item in world.outbox()) == ["r0", "r1", "r2"]
    assert {message["status"] for message in world.messages(interaction_id)} == {"sent"}


# --- the stream enqueue (the domain consumer, functions/triggers) ---------------------------------------------------


class RefusingSqs:
    """moto's SQS client, but SendMessageBatch refuses the entries of the message ids in `refused` as SQS reports
    an entry it did not take (in `Failed`, the batch's others sent); every call's message ids are kept."""

    def __init__(self, refused: set[str]) -> None:
        self.sqs = boto3.client("sqs")
        self.refused = refused
        self.calls: list[list[str]] = []

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        entries = request["Entries"]
        self.calls.append([entry["MessageDeduplicationId"] for entry in entries])
        taken = [entry for entry in entries if entry["MessageDeduplicationId"] not in self.refused]
        response = self.sqs.send_message_batch(**{**request, "Entries": taken}) if taken else {"Successful": []}
        refused = [entry for entry in entries if entry not in taken]
        failures = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "no"} for e in refused]
        return {**response, "Failed": failures}


def test_a_stream_batch_s_new_replies_reach_the_queue_in_send_message_batches_of_ten(world: Outbound) -> None:
    interactions = [world.sms("hi", phone=f"+1415553{n:04d}") for n in range(12)]
    for n, interaction_id in enumerate(interactions):
        assert world.reply(interaction_id, f"answer {n}", "c-1")[0] == 202
    sqs = RefusingSqs(refused=set())
    world.triggers.consumer.replies._client = sqs
    assert world.enqueue_new_replies() == 12
    assert [len(call) for call in sqs.calls] == [10, 2]  # one stream batch (the inbound records too)
    assert world.stream_responses == [{"batchItemFailures": []}]
    world.pump()
    assert sorted(item["body"] for item in world.outbox()) == sorted(f"answer {n}" for n in range(12))


def test_a_refused_enqueue_fails_its_record_holds_its_conversation_back_and_leaves_once_in_order_on_retry(
    world: Outbound,
) -> None:
    first, other = world.sms("hello"), world.sms("hi", phone="+14155550199")
    ids = [world.reply(first, body, f"c-{body}")[1]["message"]["id"] for body in ("one", "two")]
    world.reply(other, "three", "c-3")
    records = [record for record in world.stream.read() if TRIGGERS_FILTER(record)]
    sqs = RefusingSqs(refused={ids[0]})
    world.triggers.consumer.replies._client = sqs

    assert world.deliver_stream(records) == 1  # "three" only
    failed = {item["itemIdentifier"] for item in world.stream_responses[-1]["batchItemFailures"]}
    sequences = {ref.message_id: sequence(r) for r in records if (ref := new_reply(StreamChange.from_raw(r)))}
    [three] = [message_id for message_id in sequences if message_id not in ids]
    assert {sequences[ids[0]], sequences[ids[1]]} <= failed and sequences[three] not in failed
    assert not any(ids[1] in call for call in sqs.calls)  # "two" never sent ahead of "one"

    # Lambda retries from the first failed record; SQS takes everything now, and drops the re-sent "three".
    sqs.refused.clear()
    start = min(index for index, record in enumerate(records) if sequence(record) in failed)
    assert world.deliver_stream(records[start:]) == len([r for r in records[start:] if is_new_reply(r)])
    assert world.stream_responses[-1] == {"batchItemFailures": []}
    world.pump()
    assert [item["body"] for item in world.outbox() if item["to"] == PHONE] == ["one", "two"]
    assert [item["body"] for item in world.outbox() if item["to"] != PHONE] == ["three"]


# --- provider failures -----------------------------------------------------------------------------------------


def test_provider_500_then_success_sends_once(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "retry me", "c-1")
    world.fault("500", 1)
    world.enqueue_new_replies()
    assert len(world.deliver(world.receive())) == 1  # refused, delayed
    assert world.messages(interaction_id)[0]["status"] == "queued"
    world.pump(seconds=3)
    assert [item["body"] for item in world.outbox()] == ["retry me"]
    assert world.messages(interaction_id)[0]["status"] == "sent"


def test_429_with_retry_after_delays_the_message_that_long(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "slow down", "c-1")
    world.fault("429", 1)  # the sandbox answers Retry-After: 1
    world.enqueue_new_replies()
    refused_at = time.monotonic()
    assert len(world.deliver(world.receive())) == 1
    assert world.receive() == []  # invisible for the Retry-After, not for the queue's 60 s
    messages = eventually(world.receive, timeout=10, interval=0.1, what="the delayed message back")
    assert time.monotonic() - refused_at >= 0.95  # Retry-After: 1
    assert len(messages) == 1
    assert world.deliver(messages) == set()
    assert [item["body"] for item in world.outbox()] == ["slow down"]


def test_a_permanent_400_fails_the_message_with_the_providers_code_and_is_not_retried(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "to nowhere", "c-1")
    world.fault("400", 1)
    world.pump(seconds=1)
    [message] = world.messages(interaction_id)
    assert message["status"] == "failed" and message["errorCode"] == "21211"
    assert "Invalid 'To' Phone Number" in message["errorMessage"]
    assert world.outbox() == [] and world.receive() == []


def test_a_send_that_keeps_failing_is_marked_failed_and_dead_lettered_after_the_bound(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "doomed", "c-1")
    world.fault("500", 50)
    dead_letters: list[dict[str, Any]] = []

    def dead_lettered() -> bool:  # the bound reached: the redrive moved it to the dead-letter queue
        dead_letters.extend(world.dead_letters())
        return bool(dead_letters)

    world.pump_until(dead_lettered)
    [message] = world.messages(interaction_id)
    assert message["status"] == "failed" and message["errorCode"] == "500"
    assert message["errorMessage"].startswith("gave up after 5 attempts")
    [dead] = dead_letters
    assert json.loads(dead["Body"])["messageId"] == message["id"]
    assert world.outbox() == []


def test_a_sender_that_died_mid_call_leaves_the_reply_failed_as_unknown_outcome_not_sent_twice(
    world: Outbound, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smschannel.stores.outbound import OutboundRef, OutboundStore

    interaction_id = world.sms("hello")
    _, body = world.reply(interaction_id, "maybe sent", "c-1")
    world.enqueue_new_replies()
    [message] = world.receive()
    ref = OutboundRef.from_json(json.loads(message["Body"]))
    # A sender claimed it and died before recording the provider's answer (a minute ago).
    assert OutboundStore(world.table).claim(ref, "2026-01-01T00:00:00.000Z") is not None
    world.table.client.update_item(
        TableName=world.table.name,
        Key={"pk": {"S": ref.key["pk"]}, "sk": {"S": ref.key["sk"]}},
        UpdateExpression="SET claimedEpoch = claimedEpoch - :minute",
        ExpressionAttributeValues={":minute": {"N": "60"}},
    )
    assert world.deliver([message]) == set()
    [stored] = world.messages(interaction_id)
    assert stored["status"] == "failed" and stored["errorCode"] == "unknown-outcome"
    assert world.outbox() == []


def test_a_claim_younger_than_a_send_can_take_is_left_to_its_sender(world: Outbound) -> None:
    from smschannel.stores.outbound import OutboundRef, OutboundStore

    interaction_id = world.sms("hello")
    world.reply(interaction_id, "in flight", "c-1")
    world.enqueue_new_replies()
    [message] = world.receive()
    ref = OutboundRef.from_json(json.loads(message["Body"]))
    assert OutboundStore(world.table).claim(ref, "2026-01-01T00:00:00.000Z") is not None
    assert world.deliver([message]) == {message["MessageId"]}  # looked at again later, not failed, not sent
    assert world.messages(interaction_id)[0]["status"] == "queued" and world.outbox() == []


def test_the_sweep_re_drives_a_reply_whose_enqueue_was_lost(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "lost on the way", "c-1")
    world.stream.read()  # the stream batch is lost (the enqueue never happened)
    schedule = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "id": "e", "resources": []}
    assert world.invoke(schedule)["redriven"] == 1
    world.pump()
    assert [item["body"] for item in world.outbox()] == ["lost on the way"]
    assert world.invoke(schedule)["redriven"] == 0  # sent: out of the outbox index


def test_the_account_send_rate_spaces_a_burst(world: Outbound) -> None:
    world.account(sendRatePerSecond=2)
    interactions = [world.sms("hi", phone=f"+1415555{n:04d}") for n in range(6)]
    for n, interaction_id in enumerate(interactions):
        world.reply(interaction_id, f"burst {n}", "c-1")
    world.pump(seconds=6)
    sent = world.outbox()
    assert len(sent) == 6
    per_second: dict[str, int] = {}
    for item in sent:
        per_second[item["at"][:19]] = per_second.get(item["at"][:19], 0) + 1
    assert max(per_second.values()) <= 2


# --- write units: no transaction on the way (DynamoDB bills a transactional write twice) -------------------------


def test_a_reply_costs_three_writes_its_retry_one_and_its_send_and_delivery_four(world: Outbound) -> None:
    from bench.figures import write_units

    interaction_id = world.sms("Where is my parcel?")
    world.enqueue_new_replies()  # the domain consumer has seen the conversation open: only the reply is metered
    spent: list[tuple[str, float]] = []
    original = BaseClient._make_api_call

    audited: list[str] = []

    def metered(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            if params.get("Item", {}).get("pk") == {"S": "AUDIT"}:
                audited.append(
                    operation
                )  # the admin route's trail (the static token's use, the reply), not the reply's
            else:
                spent.append((operation, write_units(operation, params)))
        return original(client, operation, params)

    def take() -> tuple[list[str], float]:
        writes = [operation for operation, units in spent if units]
        total = sum(units for _, units in spent)
        spent.clear()
        return writes, total

    with mock.patch.object(BaseClient, "_make_api_call", metered):
        assert world.reply(interaction_id, "It left this morning.", "c-1")[0] == 202
        # The client id pointer, the interaction's reply counter (while it is open), the message.
        assert take() == (["PutItem", "UpdateItem", "PutItem"], 3)
        assert audited == ["PutItem", "PutItem"]  # the break-glass request, then the reply it made
        assert world.reply(interaction_id, "It left this morning.", "c-1")[0] == 202
        assert take() == (["PutItem"], 1)  # the retry: refused by the pointer, the first message read back
        world.pump()
        assert take() == (["UpdateItem", "PutItem", "UpdateItem"], 3)  # claim, provider-id pointer, sent
        [stored] = world.messages(interaction_id)
        take()
        assert world.status_callback(stored["providerMessageId"], "sent") == 200
        assert take() == ([], 0)  # it is sent already: read, nothing written
        assert world.status_callback(stored["providerMessageId"], "delivered") == 200
        assert take() == (["UpdateItem"], 1)
    assert world.messages(interaction_id)[0]["status"] == "delivered"
    assert len(world.outbox()) == 1


def half_written_reply(world: Outbound, interaction_id: str, first_at: str) -> str:
    """What a reply's writer leaves between the client id pointer and the message (stopped, or not yet there)."""
    from smschannel import keys
    from smschannel.dynamo import to_item

    message_id = keys.outbound_message_id(interaction_id, "c-1")
    world.table.client.put_item(
        TableName=world.table.name,
        Item=to_item(
            {
                **keys.client_message(interaction_id, "c-1"),
                "entity": "clientMessage",
                "interactionId": interaction_id,
                "messageId": message_id,
                "messageSk": keys.message(interaction_id, first_at, message_id)["sk"],
            }
        ),
    )
    return message_id


def test_a_retry_after_the_first_writer_died_between_pointer_and_message_stores_the_reply_once(
    world: Outbound,
) -> None:
    interaction_id = world.sms("hello")
    first_at = "2026-01-01T00:00:00.000Z"
    message_id = half_written_reply(world, interaction_id, first_at)
    status, body = world.reply(interaction_id, "It left this morning.", "c-1")
    assert status == 202 and body["message"]["id"] == message_id and body["message"]["createdAt"] == first_at
    assert world.reply(interaction_id, "It left this morning.", "c-1")[1]["message"]["id"] == message_id
    world.pump()
    assert [item["body"] for item in world.outbox()] == ["It left this morning."]
    assert [message["id"] for message in world.messages(interaction_id)] == [message_id]


def test_a_retry_while_the_first_write_is_under_way_is_409_and_counts_nothing(world: Outbound) -> None:
    """A double click: the retry finds the pointer of a reply still being written and neither stores nor counts
    it a second time (the close would wait on a count no message answers)."""
    from smschannel import keys
    from smschannel.timestamps import utc_now_iso

    interaction_id = world.sms("hello")
    half_written_reply(world, interaction_id, utc_now_iso())
    status, body = world.reply(interaction_id, "It left this morning.", "c-1")
    assert status == 409 and body["error"] == "conflict"
    stored = world.table.get(keys.interaction(interaction_id))
    assert stored is not None and "replyCount" not in stored
    assert world.messages(interaction_id) == []


def test_a_refused_reply_leaves_its_client_id_free(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.sms("STOP")
    world.pump()
    assert world.reply(interaction_id, "are you there?", "c-1")[0] == 422
    world.sms("START")
    world.pump()
    status, body = world.reply(interaction_id, "welcome back", "c-1")
    assert status == 202 and body["message"]["body"] == "welcome back"


def test_a_callback_that_overtakes_the_sent_write_keeps_its_status_and_sent_records_the_id(world: Outbound) -> None:
    """The provider-id pointer is written before `sent`: a `delivered` callback may land in between, and the
    status stays `delivered` (never backwards) while `sent` still records the provider's id."""
    from smschannel.models import MessageStatus, StatusUpdate
    from smschannel.stores.interactions import InteractionStore

    interaction_id = world.sms("hello")
    assert world.reply(interaction_id, "It left this morning.", "c-1")[0] == 202
    callbacks = InteractionStore(Table(world.names["table"]))
    original = BaseClient._make_api_call
    overtaken: list[str] = []

    def callback_first(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        values = params.get("ExpressionAttributeValues", {})
        if operation == "UpdateItem" and ":sent" in values and not overtaken:
            provider_id = values[":p"]["S"]
            overtaken.append(provider_id)
            update = StatusUpdate.model_validate(
                {"provider": "twilio", "providerMessageId": provider_id, "status": MessageStatus.DELIVERED}
            )
            assert callbacks.record_status("acme", update) is not None
        return original(client, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", callback_first):
        world.pump()
    [stored] = world.messages(interaction_id)
    assert overtaken == [stored["providerMessageId"]]
    assert stored["status"] == "delivered" and stored["sentAt"]
    assert len(world.outbox()) == 1


# --- validation ------------------------------------------------------------------------------------------------


def test_a_closed_interaction_answers_409_and_an_unknown_one_404(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    assert admin(world.admin, "POST", f"/admin/interactions/{interaction_id}/close", {})[0] == 200
    status, body = world.reply(interaction_id, "too late", "c-1")
    assert status == 409 and body["error"] == "interaction_closed"
    assert world.reply("int-missing", "anyone?", "c-1")[0] == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "   "}, "body"),
        ({"body": "x" * 1601}, "body"),
        ({"body": "look", "media": ["http://example.com/a.jpg"]}, "media[0]"),
        ({"body": "ok", "clientMessageId": ""}, "clientMessageId"),
    ],
)
def test_an_invalid_reply_is_422_naming_the_field(world: Outbound, payload: dict[str, Any], field: str) -> None:
    interaction_id = world.sms("hello")
    status, body = admin(
        world.admin, "POST", f"/admin/interactions/{interaction_id}/messages", {"clientMessageId": "c-1", **payload}
    )
    assert status == 422 and body["field"] == field, body


def test_media_to_a_provider_that_cannot_send_mms_is_422_and_https_media_is_kept(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    status, body = world.reply(interaction_id, "a photo", "c-1", media=["https://example.com/a.jpg"])
    assert status == 202 and body["message"]["media"] == ["https://example.com/a.jpg"]
    credentials = {"apiKey": "key12345", "apiSecret": "secret12345", "signatureSecret": "signature12345"}
    body = {"name": "Acme", "provider": "vonage", "phoneNumber": OUR_NUMBER, "credentials": credentials}
    assert admin(world.admin, "PUT", "/admin/accounts/acme", body)[0] == 200
    fresh = load_function("admin")  # a container that has not cached the account yet
    status, body = admin(
        fresh,
        "POST",
        f"/admin/interactions/{interaction_id}/messages",
        {"body": "a photo", "clientMessageId": "c-2", "media": ["https://example.com/a.jpg"]},
    )
    assert status == 422 and body["field"] == "media" and "vonage cannot send MMS" in body["message"]


def test_preview_counts_segments_without_side_effects(world: Outbound) -> None:
    status, body = admin(world.admin, "POST", "/admin/messages/preview", {"body": "€" * 81})
    # 162 septets: 76 € fill part one (152; the next pair does not fit its last septet), 5 € are 10 of part two.
    assert status == 200 and body == {"encoding": "GSM-7", "segments": 2, "characters": 81, "remaining": 143}
    status, body = admin(world.admin, "POST", "/admin/messages/preview", {"body": "Thanks! 👍"})
    assert body == {"encoding": "UCS-2", "segments": 1, "characters": 9, "remaining": 60}
    assert world.enqueue_new_replies() == 0


# --- opt-out ----------------------------------------------------------------------------------------------------


def test_stop_is_confirmed_and_blocks_replies_until_start(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.sms("  stop ")
    world.pump()
    assert [item["body"] for item in world.outbox()][-1].startswith("You are unsubscribed from Acme")
    status, body = world.reply(interaction_id, "are you there?", "c-1")
    assert status == 422 and body["error"] == "opted_out"
    status, listed = admin(world.admin, "GET", "/admin/accounts/acme/optouts")
    assert [(item["phone"], item["source"]) for item in listed["items"]] == [(PHONE, "keyword:STOP")]

    world.sms("Start")
    world.pump()
    assert world.outbox()[-1]["body"].startswith("You are subscribed again to messages from Acme")
    assert world.reply(interaction_id, "welcome back", "c-2")[0] == 202
    world.sms("HELP")
    world.pump()
    bodies = [item["body"] for item in world.outbox()]
    assert "welcome back" in bodies and bodies[-1].startswith("Acme: reply STOP to unsubscribe")
    assert admin(world.admin, "GET", "/admin/accounts/acme/optouts")[1]["items"] == []


def test_a_provider_retry_of_stop_confirms_once(world: Outbound) -> None:
    world.sms("hello")
    world.sms("STOP", sid="SMstop1")
    world.sms("STOP", sid="SMstop1")
    world.pump()
    assert len([item for item in world.outbox() if item["body"].startswith("You are unsubscribed")]) == 1


def test_keywords_and_texts_are_configurable_per_account(world: Outbound) -> None:
    world.account(optOut={"stopKeywords": ["ARRET"], "stopText": "{accountName}: plus de messages."})
    interaction_id = world.sms("hello")
    world.sms("stop")  # not a keyword of this account any more
    assert world.reply(interaction_id, "still here", "c-1")[0] == 202
    world.sms("arret")
    world.pump()
    assert world.outbox()[-1]["body"] == "Acme: plus de messages."
    assert world.reply(interaction_id, "gone?", "c-2")[0] == 422


def test_opt_outs_are_editable_through_the_admin_api(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    path = f"/admin/accounts/acme/optouts/{quote('(415) 555-2671')}"
    status, body = admin(world.admin, "PUT", path, {"source": "phone call"})
    assert status == 201 and body["id"] == PHONE and body["source"] == "phone call"
    assert admin(world.admin, "PUT", f"/admin/accounts/acme/optouts/{quote(PHONE)}", {})[0] == 200
    assert world.reply(interaction_id, "blocked", "c-1")[0] == 422
    assert admin(world.admin, "DELETE", f"/admin/accounts/acme/optouts/{quote(PHONE)}")[0] == 204
    assert admin(world.admin, "DELETE", f"/admin/accounts/acme/optouts/{quote(PHONE)}")[0] == 404
    assert world.reply(interaction_id, "allowed", "c-2")[0] == 202
    assert admin(world.admin, "GET", "/admin/accounts/nobody/optouts")[0] == 404


def test_a_stop_after_a_reply_was_queued_stops_that_reply_too(world: Outbound) -> None:
    interaction_id = world.sms("hello")
    world.reply(interaction_id, "queued before the stop", "c-1")
    world.enqueue_new_replies()
    world.sms("STOP")
    world.pump()
    bodies = [item["body"] for item in world.outbox()]
    assert "queued before the stop" not in bodies and bodies[0].startswith("You are unsubscribed")
    [refused] = [message for message in world.messages(interaction_id) if message["sender"] == "admin"]
    assert refused["status"] == "failed" and refused["errorCode"] == "opted-out"


# --- providers without receipts ---------------------------------------------------------------------------------


def test_a_provider_without_receipts_is_polled_with_backoff_until_the_status_is_final(world: Outbound) -> None:
    from datetime import UTC, datetime, timedelta

    interaction_id = world.sms("hello")
    credentials = {"userKey": "user-123456", "accessToken": "token-123456", "webhookSecret": "secret-123456"}
    body = {
        "name": "Acme",
        "provider": "skebby",
        "phoneNumber": OUR_NUMBER,
        "credentials": credentials,
        "apiBaseUrl": f"{world.sandbox}/api/skebby/acme",
    }
    assert admin(world.admin, "PUT", "/admin/accounts/acme", body)[0] == 200
    status, reply = admin(
        load_function("admin"),
        "POST",
        f"/admin/interactions/{interaction_id}/messages",
        {"body": "Ciao", "clientMessageId": "c-1"},
    )
    assert status == 202, reply
    world.pump()
    [sent] = world.messages(interaction_id)
    assert sent["status"] == "sent" and sent["providerMessageId"] == reply["message"]["id"]  # our id is the order id

    poller = world.outbound.consumer.poller
    assert poller.poll().asked == 0  # the first query waits 30 s
    report = poller.poll(datetime.now(UTC) + timedelta(seconds=31))
    assert (report.asked, report.finished) == (1, 0)  # Skebby still says SENT: asked again later
    assert poller.poll(datetime.now(UTC) + timedelta(seconds=40)).asked == 0  # backoff: not yet
    forced = {"accountId": "acme", "providerMessageId": sent["providerMessageId"], "status": "delivered"}
    assert requests.post(f"{world.sandbox}/status", json=forced, timeout=5).status_code == 200
    report = poller.poll(datetime.now(UTC) + timedelta(seconds=95))
    assert (report.asked, report.updated, report.finished) == (1, 1, 1)
    assert world.messages(interaction_id)[0]["status"] == "delivered"
    assert poller.poll(datetime.now(UTC) + timedelta(hours=2)).asked == 0  # final: out of the poll index


def test_the_heads_of_a_batch_s_groups_are_sent_concurrently_and_a_failure_holds_only_its_group(
    world: Outbound,
) -> None:
    interactions = [world.sms("hi", phone=f"+1415554{n:04d}") for n in range(5)]
    for interaction_id in interactions:
        world.reply(interaction_id, "first", "c-1")
        world.reply(interaction_id, "second", "c-2")
    world.fault("500", 1)  # whichever head reaches the provider first is refused
    world.enqueue_new_replies()
    messages = world.receive()
    assert len(messages) == 10
    with requests_applied_atomically():  # moto applies each request atomically only one at a time
        failed = world.deliver(messages)
    assert len(failed) == 2  # the refused head and the reply queued behind it in its group
    assert len(world.outbox()) == 8
    world.pump(seconds=3)
    sent = world.outbox()
    assert len(sent) == 10
    for phone in {item["to"] for item in sent}:
        assert [item["body"] for item in sent if item["to"] == phone] == ["first", "second"]
