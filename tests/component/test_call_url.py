"""callUrl end to end under moto: a trigger fires on the stream, its delivery is queued (SQS), and the CallUrl
function posts it to a real local HTTP server that verifies the signature; failures are retried with backoff and
reported to SQS (then its dead-letter queue), and every outcome lands in the trigger's run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.component.harness import SignedReceiver, World, make_world, phone, ready_queue
from tests.conftest import FakeContext, load_function

SECRET = "crm-shared-secret"


@pytest.fixture
def world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(aws, monkeypatch)


@pytest.fixture
def receiver() -> Iterator[SignedReceiver]:
    """A CRM webhook on a real port: 401 on a bad signature, else the next scripted status (default 200)."""
    with SignedReceiver(SECRET, path="/crm") as server:
        yield server


def sqs_event(queue_url: str, receive_count: int = 1) -> tuple[dict[str, Any], list[str]]:
    """The queued deliveries in the Lambda SQS event shape (as the event source mapping hands them over)."""
    sqs = boto3.client("sqs")
    response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    records = [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": {**message["Attributes"], "ApproximateReceiveCount": str(receive_count)},
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": "us-east-1",
        }
        for message in response.get("Messages", [])
    ]
    return {"Records": records}, [record["messageId"] for record in records]


def closing_trigger(world: World, url: str, **extra: Any) -> str:
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "crm",
        event="interaction.closed",
        actions=[{"type": "callUrl", "url": url, "secret": SECRET, "timeoutSeconds": 2, **extra}],
    )
    outcome = world.sms(phone(20), "hello")
    world.pump()
    world.interactions.close_interaction(outcome.interaction_id, "resolved")
    world.pump()
    return outcome.interaction_id


def test_a_call_url_trigger_posts_a_body_whose_signature_verifies(world: World, receiver: SignedReceiver) -> None:
    interaction_id = closing_trigger(world, receiver.url)
    callurl = load_function("callurl")
    event, _ = sqs_event(world.queue_url)
    assert callurl.lambda_handler(event, FakeContext()) == {"batchItemFailures": []}

    [post] = receiver.received
    assert receiver.refused == 0
    payload, headers = post.json(), post.headers
    assert payload["event"] == "interaction.closed" and payload["triggerId"] == "crm"
    assert payload["interaction"]["id"] == interaction_id and payload["interaction"]["disposition"] == "resolved"
    assert headers["Content-Type"] == "application/json" and headers["X-Event-Id"] == payload["eventId"]
    [run] = world.runs("crm")
    assert run["actions"] == [{"type": "callUrl", "outcome": "done", "detail": "HTTP 200"}]


def test_a_failing_receiver_is_retried_with_backoff_then_left_to_the_queue(
    world: World, receiver: SignedReceiver
) -> None:
    closing_trigger(world, receiver.url)
    callurl = load_function("callurl")
    pauses: list[float] = []
    callurl.consumer.sender.sleep = pauses.append
    receiver.statuses = [503, 502, 500]
    event, ids = sqs_event(world.queue_url)
    assert callurl.lambda_handler(event, FakeContext()) == {"batchItemFailures": [{"itemIdentifier": ids[0]}]}
    assert len(receiver.received) == 3 and len(pauses) == 2 and pauses[1] > pauses[0] > 0
    [run] = world.runs("crm")
    assert run["actions"][0]["outcome"] == "failed" and run["actions"][0]["detail"] == "HTTP 500 after 3 attempts"

    # The queue hands it over again later (its visibility timeout is the long backoff): now it goes through.
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    assert callurl.lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    assert world.runs("crm")[0]["actions"][0] == {"type": "callUrl", "outcome": "done", "detail": "HTTP 200"}


def test_a_receiver_asking_to_retry_after_a_pause_gets_that_pause(world: World, receiver: SignedReceiver) -> None:
    closing_trigger(world, receiver.url)
    callurl = load_function("callurl")
    pauses: list[float] = []
    callurl.consumer.sender.sleep = pauses.append
    receiver.statuses, receiver.retry_after = [429, 503], {429: "2", 503: "3600"}
    event, _ = sqs_event(world.queue_url)
    assert callurl.lambda_handler(event, FakeContext()) == {"batchItemFailures": []}
    # Retry-After as sent, and an hour capped: waiting that long is the queue's job, not the function's.
    assert len(receiver.received) == 3 and pauses == [2.0, 5.0]
    assert world.runs("crm")[0]["actions"][0] == {"type": "callUrl", "outcome": "done", "detail": "HTTP 200"}


def test_a_refusing_receiver_is_not_hammered_and_a_dead_one_times_out(world: World, receiver: SignedReceiver) -> None:
    closing_trigger(world, receiver.url, secret="not-the-receivers-secret")
    callurl = load_function("callurl")
    callurl.consumer.sender.sleep = lambda seconds: None
    event, ids = sqs_event(world.queue_url)
    assert callurl.lambda_handler(event, FakeContext())["batchItemFailures"] == [{"itemIdentifier": ids[0]}]
    assert receiver.refused == 1  # a 4xx is not retried within the receive
    assert world.runs("crm")[0]["actions"][0]["detail"] == "HTTP 401 after 1 attempts"


def test_the_stream_does_not_wait_for_the_receiver(world: World) -> None:
    # A receiver that never answers: the trigger's other actions and the routing go on; the post is only queued.
    ready_queue(world)
    world.use_queue("support")
    world.trigger(
        "slow",
        event="interaction.created",
        actions=[
            {"type": "callUrl", "url": "http://10.255.255.1/never", "secret": SECRET},
            {"type": "tag", "tags": ["after-call"]},
        ],
    )
    outcome = world.sms(phone(21))
    world.pump()
    item = world.interaction(outcome.interaction_id)
    assert item["tags"] == ["after-call"] and item["agentId"] == "agent-1"
    assert [action["outcome"] for action in world.runs("slow")[0]["actions"]] == ["queued", "done"]


def test_the_queue_sends_undeliverable_calls_to_a_dead_letter_queue() -> None:
    from tests.conftest import load_template

    resources = load_template()["Resources"]
    redrive = resources["CallUrlQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"GetAtt": "CallUrlDeadLetterQueue.Arn"}
    assert redrive["maxReceiveCount"] >= 2
    events = resources["CallUrlFunction"]["Properties"]["Events"]["Deliveries"]["Properties"]
    assert events["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # A receive (3 attempts of at most connect + 10 s read, plus backoff) fits in the function's timeout, which
    # fits in the visibility timeout.
    assert resources["CallUrlFunction"]["Properties"]["Timeout"] > 3 * (3.05 + 10) + 3
    assert (
        resources["CallUrlFunction"]["Properties"]["Timeout"]
        < resources["CallUrlQueue"]["Properties"]["VisibilityTimeout"]
    )
