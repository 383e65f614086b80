"""Every log line a conversation's messages write stays under 300 bytes: the signed webhook, the table stream's two
readers (the domain consumer, the fan-out), the agent's WebSocket reply, the sender and the provider's status
callbacks, each at the production log level (INFO). CloudWatch Logs bills ingestion by the byte, so a message's
lines are a share of its cost (bench/costs.py)."""

from __future__ import annotations

import contextlib
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from twilio.request_validator import RequestValidator

from local.sandbox import SandboxState, start_sandbox
from smschannel.dynamo import Table
from smschannel.observability import logger
from smschannel.stores.configuration import ConfigurationStore
from tests.component.harness import (
    FANOUT_FILTER,
    HOST,
    SID,
    TOKEN,
    TRIGGERS_FILTER,
    TableStream,
    logger_output,
    share_stream_log,
    stream_event,
    twilio_form,
)
from tests.conftest import admin, http_event, load_function

MAX_LINE_BYTES = 300
PHONE = "+14155552671"


class Context:
    """A Lambda context with a real request id's length (its lines carry it)."""

    function_name = "sms-channel-prod-outbound"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


class Functions:
    """The functions, each called as if in its own process: a function's appended log keys (the realtime
    connection's) are its own, and its request id has a real one's length."""

    def __init__(self) -> None:
        names = ("admin", "inbound", "triggers", "outbound", "fanout", "realtime")
        self.modules = {name: load_function(name) for name in names}

    def call(self, name: str, event: dict[str, Any]) -> Any:
        logger.clear_state()
        logger.append_keys(service="outbound")  # the longest service name of these functions: each line at its worst
        return self.modules[name].lambda_handler(event, Context())

    def webhook(self, form: dict[str, str], path: str = "/webhooks/acme") -> int:
        url = f"https://{HOST}{path}"
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": RequestValidator(TOKEN).compute_signature(url, form),
        }
        route = "POST /webhooks/{accountId}" + ("/status" if path.endswith("/status") else "")
        event = http_event("POST", path, body=urlencode(form), headers=headers, route_key=route)
        return int(self.call("inbound", event)["statusCode"])


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What the functions write to stdout: Powertools' JSON lines and the metrics' EMF lines."""
    with logger_output("INFO") as buffer:
        yield buffer  # the test sends the metrics' lines (print) here too: pytest swaps sys.stdout per phase


@pytest.fixture
def sandbox(aws: dict[str, str]) -> Iterator[tuple[str, SandboxState]]:
    state = SandboxState(
        http_base="http://127.0.0.1:9", configuration=ConfigurationStore(Table(aws["table"])), auto_status=False
    )
    server = start_sandbox(state, 0)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sandbox", state
    finally:
        server.shutdown()
        server.server_close()


def test_no_log_line_of_a_conversation_s_messages_is_above_300_bytes(
    aws: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    sandbox: tuple[str, SandboxState],
    written: io.StringIO,
) -> None:
    from smschannel.settings import get_settings

    share_stream_log(monkeypatch)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="outbound.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    monkeypatch.setenv("OUTBOUND_QUEUE_URL", queue_url)
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", "https://ws123.execute-api.us-east-1.amazonaws.com/prod")
    get_settings.cache_clear()
    base, state = sandbox
    functions = Functions()
    admin_fn = functions.modules["admin"]
    assert admin(admin_fn, "PUT", "/admin/agents/agent-1", {"name": "A", "capacity": 3, "status": "ready"})[0] == 201
    assert admin(admin_fn, "PUT", "/admin/queues/support", {"name": "S", "agentIds": ["agent-1"]})[0] == 201
    account = {
        "name": "Acme",
        "provider": "twilio",
        "phoneNumber": "+15005550006",
        "credentials": {"accountSid": SID, "authToken": TOKEN},
        "queueId": "support",
        "apiBaseUrl": f"{base}/api/twilio/acme",
    }
    assert admin(admin_fn, "PUT", "/admin/accounts/acme", account)[0] == 201
    stream = TableStream(aws["table"])

    def websocket(route: str, **frame: Any) -> None:
        authorizer = {"role": "agent", "agentId": "agent-1", "expiresAt": str(int(time.time()) + 3600)}
        event = {"requestContext": {"routeKey": route, "connectionId": "agent-1-desk", "authorizer": authorizer}}
        event["body"] = json.dumps(frame) if frame else None
        assert functions.call("realtime", event) == {"statusCode": 200}

    def pump() -> None:
        """The stream's two readers, then the replies' queue into the sender, as their event sources call them."""
        records = stream.read()
        for name, passes in (("triggers", TRIGGERS_FILTER), ("fanout", FANOUT_FILTER)):
            if batch := [record for record in records if passes(record)]:
                assert not functions.call(name, stream_event(batch))["batchItemFailures"]
        for message in sqs.receive_message(QueueUrl=queue_url, AttributeNames=["All"]).get("Messages", []):
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "eventSource": "aws:sqs",
            }
            assert not functions.call("outbound", {"Records": [record]})["batchItemFailures"]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    websocket("$connect")
    stream.read()
    with contextlib.redirect_stdout(written):
        a_conversation(functions, state, websocket, pump)
    lines = [line for line in written.getvalue().splitlines() if line.strip()]
    messages = {json.loads(line).get("message") for line in lines}
    # the lines of the webhook, the assignment and the send were captured, and the metrics' lines beside them
    assert {"inbound stored", "interaction assigned", "outbound"} <= messages, messages
    assert any(line.startswith('{"_aws"') for line in lines)
    too_long = [line for line in lines if len(line.encode()) > MAX_LINE_BYTES]
    assert not too_long, too_long


def a_conversation(
    functions: Functions, state: SandboxState, websocket: Callable[..., None], pump: Callable[[], None]
) -> None:
    """A new conversation's SMS, the agent's reply sent and delivered, and the customer's next SMS."""
    admin_fn = functions.modules["admin"]
    assert functions.webhook(twilio_form(PHONE, "Where is my order 12345?", "SM" + uuid.uuid4().hex)) == 200
    pump()
    [interaction] = admin(admin_fn, "GET", "/admin/interactions", query={"accountId": "acme", "phone": PHONE})[1][
        "items"
    ]
    websocket(
        "sendMessage", action="sendMessage", interactionId=interaction["id"], body="On its way!", clientMessageId="r1"
    )
    pump()
    [sent] = state.outbox
    for status in ("sent", "delivered"):
        form = {"MessageSid": "SM" + sent["messageId"], "MessageStatus": status, "AccountSid": SID}
        assert functions.webhook(form, path="/webhooks/acme/status") == 200
        pump()
    assert functions.webhook(twilio_form(PHONE, "Thanks!", "SM" + uuid.uuid4().hex)) == 200
    pump()
