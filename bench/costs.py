"""What one conversation costs in AWS, measured: every request, unit and byte it bills, priced per 1M conversations.

In-process under moto with the real functions (admin for the set-up; inbound, the domain consumer, outbound, the
fan-out and realtime for the traffic), the table built from template.yaml, the outbound FIFO queue, and the local
stack's provider sandbox (Twilio) over real HTTP. 50 agents and 5 supervisors are connected (supervisors
subscribed to the dashboard). A conversation: 4 customer SMS through the signed webhook, 3 agent replies on the
WebSocket (`sendMessage`), each one put on the queue by the domain consumer, sent by the outbound function and
answered by the provider's `sent` and `delivered` callbacks; then the agent closes it. The table's stream is handed
to its two readers (the domain consumer and the fan-out, through their template FilterCriteria) after every step,
one batch per step (a quiet center: the most invocations; a busy one batches more per invocation).

Counted on botocore's own calls (never the bench's own reads): DynamoDB write units (bench.figures.write_units) and
read units (from the items each read returned), index writes (from the stream images, bench.routing_hot_keys),
SQS requests, @connections frames; the handlers' log lines and metric (EMF) lines as CloudWatch Logs ingests them;
each handler's own CPU time apart from the time it spends in AWS calls. A Lambda duration is modelled as that CPU
time at the share of a vCPU the configured MemorySize buys (1,769 MB = 1 vCPU), plus a per-call latency for each
AWS request and the provider API, at the template's memory and architecture. Prices: us-east-1 list prices, printed
with their source. Run: `.venv/bin/python bench/costs.py [--conversations 8]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]
from bench.figures import in_process_environment  # noqa: E402

in_process_environment(
    TABLE_NAME="bench-costs",
    POWERTOOLS_LOG_LEVEL="INFO",  # the template's LogLevel: the log bytes are what production writes
    POWERTOOLS_LOGGER_SAMPLE_RATE="0",
    POWERTOOLS_METRICS_NAMESPACE="SmsChannel",
    CONNECTIONS_ENDPOINT="https://ws123.execute-api.us-east-1.amazonaws.com/prod",
    MAX_SEND_ATTEMPTS="5",
    OUTBOX_SWEEP_SECONDS="0",
)

import boto3  # noqa: E402
import botocore.client  # noqa: E402
from moto import mock_aws  # noqa: E402

from bench.figures import item_kb, write_units  # noqa: E402
from tests.conftest import load_template  # noqa: E402

AGENTS, SUPERVISORS = 50, 5
MESSAGES_IN, REPLIES = 4, 3
CALLBACKS_PER_REPLY = 2  # Twilio posts `sent`, then `delivered`
VCPU_MB = 1769  # Lambda: one full vCPU at 1,769 MB, CPU share proportional below
# Latency an AWS call adds in the same region (the CPU of the call itself is measured): DynamoDB single-digit ms,
# SQS and @connections ~10 ms; the provider's send API (Twilio) ~200 ms. Assumptions, not measured here.
CALL_MS = {"dynamodb": 4.0, "sqs": 10.0, "apigatewaymanagementapi": 12.0, "s3": 15.0, "secretsmanager": 10.0}
PROVIDER_API_MS = 200.0
# A conversation holds its share of the 55 connections: 50 agents x capacity 3 conversations at once, 10 minutes each.
CONCURRENT_CONVERSATIONS = 150
CONVERSATION_MINUTES = 10.0
WS_PING_MINUTES = 9.0  # a page's keep-alive ping before API Gateway's 10-minute idle timeout

# us-east-1, on-demand list prices (USD), each from the service's pricing page.
PRICES = {
    "http_request": (1.00 / 1e6, "API Gateway HTTP API, per request up to 512 KB (aws.amazon.com/api-gateway/pricing)"),
    "ws_message": (1.00 / 1e6, "API Gateway WebSocket, per message of 32 KB (first 1B/month; same page)"),
    "ws_minute": (0.25 / 1e6, "API Gateway WebSocket, per connection minute (same page)"),
    "lambda_request": (0.20 / 1e6, "Lambda, per request (aws.amazon.com/lambda/pricing)"),
    "gb_second_arm64": (0.0000133334, "Lambda arm64, per GB-second (first 7.5B GB-s/month; same page)"),
    "gb_second_x86_64": (0.0000166667, "Lambda x86_64, per GB-second (first 6B GB-s/month; same page)"),
    "wru": (0.625 / 1e6, "DynamoDB on-demand, per write request unit (aws.amazon.com/dynamodb/pricing/on-demand)"),
    "rru": (0.125 / 1e6, "DynamoDB on-demand, per read request unit (same page; stream reads by Lambda are free)"),
    "sqs_fifo_request": (0.50 / 1e6, "SQS FIFO, per request of 64 KB (aws.amazon.com/sqs/pricing)"),
    "logs_gb": (0.50 / 2**30, "CloudWatch Logs standard ingestion, per GB (aws.amazon.com/cloudwatch/pricing)"),
    "firehose_gb": (0.029 / 2**30, "Data Firehose direct PUT, per GB, 5 KB records (aws.amazon.com/firehose/pricing)"),
}  # fmt: skip
SMS_SEGMENT = (
    0.0083,
    "Twilio US SMS, per segment sent or received, before carrier fees (twilio.com/en-us/sms/pricing/us)",
)


# --------------------------------------------------------------------------------------------- what is counted
@dataclass
class Tally:
    """What one phase of the conversation (an inbound message, a reply, the close) billed."""

    invocations: Counter[str] = field(default_factory=Counter)
    cpu_seconds: Counter[str] = field(default_factory=Counter)  # the handler's own CPU, AWS calls apart
    call_ms: Counter[str] = field(default_factory=Counter)  # modelled latency of its AWS and provider calls
    calls: Counter[str] = field(default_factory=Counter)  # "service.Operation"
    wru: float = 0.0
    rru: float = 0.0
    index_writes: int = 0
    sqs_requests: int = 0
    ws_out: int = 0  # frames the functions post to connections (32 KB units)
    ws_in: int = 0  # messages agents send (an action)
    http_requests: int = 0
    log_bytes: Counter[str] = field(default_factory=Counter)
    log_lines: list[tuple[str, int]] = field(default_factory=list)
    billed: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # per invocation (ms)
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))  # (CPU, wait)


class Meter:
    """Every AWS call the functions make in this process, attributed to the function running and the phase."""

    def __init__(self, memory: dict[str, int]) -> None:
        self.memory = memory
        self.phase: Tally | None = None
        self.function: str | None = None
        self.aws_cpu = 0.0  # the invocation thread's CPU spent inside AWS calls
        self.thread_ms: Counter[int] = Counter()  # modelled call latency, per thread (pools call in parallel)
        self.main = threading.get_ident()
        self.local = threading.local()
        original = botocore.client.BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            # Only the functions' calls: not the harness playing Lambda's stream poller (its GetRecords are free)
            if (
                meter.phase is None
                or meter.function is None
                or getattr(meter.local, "inside", False)
                or _sandbox_thread()
            ):
                return original(client, operation, params)
            meter.local.inside = True
            started = time.thread_time()
            try:
                response = original(client, operation, params)
            finally:
                meter.local.inside = False
                spent = time.thread_time() - started
            meter.record(client.meta.service_model.service_name, operation, params, response, spent)
            return response

        botocore.client.BaseClient._make_api_call = metered  # type: ignore[method-assign]

    def record(self, service: str, operation: str, params: dict[str, Any], response: Any, cpu: float) -> None:
        tally = self.phase
        assert tally is not None
        tally.calls[f"{self.function}: {service}.{operation}"] += 1
        if threading.get_ident() == self.main:
            self.aws_cpu += cpu  # a pool thread's CPU is not in the invocation thread's clock anyway
        self.thread_ms[threading.get_ident()] += CALL_MS.get(service, 10.0)
        if service == "dynamodb":
            tally.wru += write_units(operation, params)
            tally.rru += read_units(operation, params, response)
        elif service == "sqs":
            entries = params.get("Entries") or [params]
            size = sum(len(str(entry.get("MessageBody", ""))) for entry in entries)
            tally.sqs_requests += max(1, math.ceil(size / 65536))
        elif service == "apigatewaymanagementapi" and operation == "PostToConnection":
            tally.ws_out += max(1, math.ceil(len(params["Data"]) / 32768))

    @contextlib.contextmanager
    def invocation(self, function: str) -> Iterator[None]:
        tally = self.phase
        assert tally is not None
        self.aws_cpu = 0.0
        self.thread_ms.clear()
        started = time.thread_time()
        try:
            yield
        finally:
            own = max(0.0, time.thread_time() - started - self.aws_cpu)
            memory = self.memory[function]
            pools = [ms for thread, ms in self.thread_ms.items() if thread != self.main]
            waits = self.thread_ms[self.main] + max(pools, default=0.0)
            ms = own * 1000 * max(1.0, VCPU_MB / memory) + waits
            tally.invocations[function] += 1
            tally.cpu_seconds[function] += own
            tally.call_ms[function] += waits
            tally.billed[function].append(math.ceil(ms))
            tally.samples[function].append((own * 1000, waits))


def index_writes(records: list[dict[str, Any]]) -> int:
    """Index write units a batch of changes cost (from their stream images and template.yaml's GSIs): an item
    entering or leaving an index writes it once, a key change twice (delete and put), an unchanged key once when an
    attribute it projects changed, and not at all otherwise. Index entries here are under 1 KB."""
    writes = 0
    for record in records:
        old = record["dynamodb"].get("OldImage") or {}
        new = record["dynamodb"].get("NewImage") or {}
        for keys, projected in INDEXES:
            before, after = tuple(old.get(k) for k in keys), tuple(new.get(k) for k in keys)
            in_before, in_after = all(before), all(after)
            if before != after:
                writes += int(in_before) + int(in_after)
            elif in_after and any(old.get(name) != new.get(name) for name in projected):
                writes += 1
    return writes


def _indexes() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    table = load_template()["Resources"]["Table"]["Properties"]
    found = []
    for index in table["GlobalSecondaryIndexes"]:
        keys = tuple(part["AttributeName"] for part in index["KeySchema"])
        found.append((keys, tuple(index["Projection"].get("NonKeyAttributes", []))))
    return found


INDEXES = _indexes()


def _sandbox_thread() -> bool:
    """The provider sandbox's request threads (it reads the account to sign as Twilio does): not our bill."""
    return "process_request_thread" in threading.current_thread().name


def read_units(operation: str, params: dict[str, Any], response: dict[str, Any]) -> float:
    """Read request units as DynamoDB bills them: 4 KB started per item read (GetItem, BatchGetItem) or per
    response (Query), halved when eventually consistent; a transactional read costs twice."""
    strong = 1.0 if params.get("ConsistentRead") else 0.5

    def units(size_kb: int) -> float:
        return math.ceil(size_kb / 4) * strong

    if operation == "GetItem":
        return units(item_kb(response.get("Item") or {}))
    if operation == "Query":
        return max(strong, units(sum(item_kb(item) for item in response.get("Items", []))))
    if operation == "BatchGetItem":
        items = [item for found in response.get("Responses", {}).values() for item in found]
        return sum(units(item_kb(item)) for item in items) or 0.5
    if operation == "TransactGetItems":
        return sum(2 * math.ceil(item_kb(r.get("Item") or {}) / 4) for r in response.get("Responses", []))
    return 0.0


class LogCapture(io.TextIOBase):
    """stdout as CloudWatch Logs sees it: Powertools' JSON lines and the metrics' EMF lines, by function."""

    def __init__(self, meter: Meter) -> None:
        self.meter = meter
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending += text
        while "\n" in self.pending:
            line, self.pending = self.pending.split("\n", 1)
            if self.meter.phase is not None and self.meter.function and line:
                size = len(line.encode()) + 26  # + the event's timestamp and framing CloudWatch Logs bills
                self.meter.phase.log_bytes[self.meter.function] += size
                self.meter.phase.log_lines.append((self.meter.function, len(line.encode())))
        return len(text)


# ----------------------------------------------------------------------------------------------- the center
class Center:
    def __init__(self, meter: Meter) -> None:
        from local.sandbox import SandboxState, start_sandbox
        from smschannel.dynamo import Table
        from smschannel.observability import logger
        from smschannel.settings import get_settings
        from smschannel.stores.configuration import ConfigurationStore
        from tests.component.harness import SID, TOKEN, TableStream
        from tests.component.test_outbound import create_queues, free_port
        from tests.conftest import admin, create_table_from_template, load_function

        self.meter = meter
        self.table_name = f"bench-{uuid.uuid4().hex[:8]}"
        os.environ["TABLE_NAME"] = self.table_name
        queues = create_queues()
        self.queue_url = queues["queue"]
        os.environ["OUTBOUND_QUEUE_URL"] = self.queue_url
        os.environ["CALL_URL_QUEUE_URL"] = boto3.client("sqs").create_queue(QueueName="calls")["QueueUrl"]
        get_settings.cache_clear()
        create_table_from_template(boto3.client("dynamodb"), self.table_name)
        boto3.client("s3").create_bucket(Bucket="bench-archive")
        port = free_port()
        self.sandbox_state = SandboxState(
            http_base="http://127.0.0.1:9",
            configuration=ConfigurationStore(Table(self.table_name)),
            auto_status=False,
        )
        self.sandbox = start_sandbox(self.sandbox_state, port)
        self.capture = LogCapture(meter)
        logger.registered_handler.setStream(self.capture)  # type: ignore[attr-defined]
        self.functions = {name: load_function(name) for name in ("admin", "inbound", "triggers", "outbound")}
        self.functions |= {name: load_function(name) for name in ("fanout", "realtime")}
        self.sqs = boto3.client("sqs")
        self.stream = TableStream(self.table_name)
        self.sid, self.token = SID, TOKEN
        admin_fn = self.functions["admin"]
        agents = [f"agent-{n:02d}" for n in range(AGENTS)]
        for agent_id in agents:
            status, body = admin(
                admin_fn, "PUT", f"/admin/agents/{agent_id}", {"name": agent_id, "capacity": 3, "status": "ready"}
            )
            assert status in (200, 201), body
        status, body = admin(
            admin_fn, "PUT", "/admin/queues/support", {"name": "support", "agentIds": agents, "strategy": "least-busy"}
        )
        assert status in (200, 201), body
        account = {
            "name": "Acme",
            "provider": "twilio",
            "phoneNumber": "+15005550006",
            "credentials": {"accountSid": SID, "authToken": TOKEN},
            "defaultRegion": "US",
            "queueId": "support",
            "apiBaseUrl": f"http://127.0.0.1:{port}/sandbox/api/twilio/acme",
        }
        status, body = admin(admin_fn, "PUT", "/admin/accounts/acme", account)
        assert status in (200, 201), body
        for agent_id in agents:
            self.ws("$connect", agent_id, "agent", agent_id)
        for n in range(SUPERVISORS):
            self.ws("$connect", f"sup-{n}", "supervisor")
            self.ws("subscribe", f"sup-{n}", "supervisor", action="subscribe", topic="dashboard")
        self.stream.read()  # set-up changes are not a conversation's
        self.sent = 0

    # --- the functions, as their event sources call them -------------------------------------------------------
    def invoke(self, function: str, event: dict[str, Any]) -> Any:
        from smschannel.observability import logger
        from tests.conftest import FakeContext

        context = FakeContext()
        context.function_name = f"sms-channel-prod-{function}"
        context.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{context.function_name}"
        context.memory_limit_in_mb = self.meter.memory[function]
        context.aws_request_id = str(uuid.uuid4())
        self.meter.function = function
        # One logger serves every function here: give it the state this function's own process would have.
        logger.clear_state()
        logger.append_keys(service=SERVICES[function])
        try:
            with self.meter.invocation(function), contextlib.redirect_stdout(self.capture):
                return self.functions[function].lambda_handler(event, context)
        finally:
            self.meter.function = None

    def ws(self, route: str, connection_id: str, role: str, agent_id: str | None = None, **frame: Any) -> None:
        authorizer = {"role": role, "agentId": agent_id or "", "expiresAt": str(int(time.time()) + 3600)}
        event: dict[str, Any] = {
            "requestContext": {"routeKey": route, "connectionId": connection_id, "authorizer": authorizer}
        }
        if frame:
            event["body"] = json.dumps(frame)
            if self.meter.phase is not None:
                self.meter.phase.ws_in += 1
        if self.meter.phase is None:
            self.functions["realtime"].lambda_handler(event, _context())
        else:
            assert self.invoke("realtime", event) == {"statusCode": 200}

    def webhook(self, form: dict[str, str], path: str) -> None:
        from twilio.request_validator import RequestValidator

        from tests.component.harness import HOST
        from tests.conftest import http_event

        url = f"https://{HOST}{path}"
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": RequestValidator(self.token).compute_signature(url, form),
        }
        route = "POST /webhooks/{accountId}" + ("/status" if path.endswith("/status") else "")
        from urllib.parse import urlencode

        event = http_event("POST", path, body=urlencode(form), headers=headers, route_key=route)
        assert self.meter.phase is not None
        self.meter.phase.http_requests += 1
        response = self.invoke("inbound", event)
        assert response["statusCode"] == 200, response

    def pump(self) -> None:
        """The stream's two readers, one batch per step; then the outbound queue into the sender."""
        from tests.component.harness import FANOUT_FILTER, TRIGGERS_FILTER, stream_event
        from tests.component.test_outbound import sqs_record

        records = self.stream.read()
        assert self.meter.phase is not None
        self.meter.phase.index_writes += index_writes(records)
        for function, passes in (("triggers", TRIGGERS_FILTER), ("fanout", FANOUT_FILTER)):
            batch = [record for record in records if passes(record)]
            if batch:
                response = self.invoke(function, stream_event(batch))
                assert not response["batchItemFailures"], response
        while True:
            received = self.meter_sqs(
                "ReceiveMessage",
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            messages = received.get("Messages", [])
            if not messages:
                return
            response = self.invoke("outbound", {"Records": [sqs_record(m, self.queue_url) for m in messages]})
            assert not response["batchItemFailures"], response
            entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
            self.meter_sqs("DeleteMessageBatch", QueueUrl=self.queue_url, Entries=entries)

    def meter_sqs(self, operation: str, **params: Any) -> dict[str, Any]:
        """The event source mapping's own SQS requests (a receive that got messages, their delete): billed, though
        no function makes them. Its empty long polls are a fixed cost (a few per minute), not a message's."""
        function = {"ReceiveMessage": self.sqs.receive_message, "DeleteMessageBatch": self.sqs.delete_message_batch}
        result: dict[str, Any] = function[operation](**params)
        if operation == "DeleteMessageBatch" or result.get("Messages"):
            assert self.meter.phase is not None
            self.meter.phase.sqs_requests += 1
            self.meter.phase.calls[f"mapping: sqs.{operation}"] += 1
        return result

    # --- a conversation -----------------------------------------------------------------------------------------
    def conversation(self, n: int, inbound: Tally, reply: Tally, close: Tally) -> None:
        phone = f"+1415{5550000 + n:07d}"
        bodies = ["Hi, my order 12345 has not arrived yet.", "It was due on Monday.", "Yes, same address.", "Thanks!"]
        interaction_id = agent_id = ""
        for turn in range(MESSAGES_IN):
            self.meter.phase = inbound
            sid = f"SM{uuid.uuid4().hex}"
            form = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": self.sid,
                "From": phone,
                "To": "+15005550006",
                "Body": bodies[turn],
                "NumMedia": "0",
            }
            self.webhook(form, "/webhooks/acme")
            self.pump()
            self.meter.phase = None
            if turn == 0:
                interaction_id, agent_id = self.open_interaction(phone)
            if turn < REPLIES:
                self.meter.phase = reply
                text = "Sorry about that! Let me check with the carrier: it left our warehouse this morning."
                self.ws(
                    "sendMessage",
                    agent_id,
                    "agent",
                    agent_id,
                    action="sendMessage",
                    interactionId=interaction_id,
                    body=text,
                    clientMessageId=f"c{n}-{turn}",
                )
                self.pump()
                assert len(self.sandbox_state.outbox) == self.sent + 1, "the reply reached the provider"
                provider_id = "SM" + self.sandbox_state.outbox[-1]["messageId"]
                self.sent += 1
                for status in ("sent", "delivered"):
                    form = {"MessageSid": provider_id, "MessageStatus": status, "AccountSid": self.sid}
                    self.webhook(form, "/webhooks/acme/status")
                    self.pump()
                self.meter.phase = None
        self.meter.phase = close
        self.ws(
            "closeInteraction", agent_id, "agent", agent_id, action="closeInteraction", interactionId=interaction_id
        )
        self.pump()
        self.meter.phase = None

    def open_interaction(self, phone: str) -> tuple[str, str]:
        from smschannel import keys
        from smschannel.dynamo import Table

        table = Table(self.table_name)
        session = table.get(keys.session("acme", phone))
        assert session is not None, "the first SMS opened an interaction"
        interaction = table.get(keys.interaction(str(session["interactionId"])))
        assert interaction is not None and interaction.get("agentId"), "routing assigned it"
        return str(interaction["id"]), str(interaction["agentId"])


def _context() -> Any:
    from tests.conftest import FakeContext

    return FakeContext()


# ----------------------------------------------------------------------------------------------- the bill
FUNCTIONS = {
    "inbound": "InboundFunction",
    "admin": "AdminFunction",
    "triggers": "TriggersFunction",
    "outbound": "OutboundFunction",
    "fanout": "FanoutFunction",
    "realtime": "RealtimeFunction",
}
SERVICES = {
    short: load_template()["Resources"][name]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    for short, name in FUNCTIONS.items()
}


def function_memory() -> tuple[dict[str, int], str]:
    """Each function's MemorySize and the stack's architecture, as template.yaml configures them."""
    template = load_template()
    default = template["Globals"]["Function"]["MemorySize"]
    resources = template["Resources"]
    memory = {short: int(resources[name]["Properties"].get("MemorySize", default)) for short, name in FUNCTIONS.items()}
    architecture = str(template["Parameters"]["Architecture"]["Default"])
    return memory, architecture


@dataclass
class Line:
    label: str
    per_inbound: float
    per_reply: float
    per_conversation: float
    price_key: str | None


def bill(phases: tuple[Tally, Tally, Tally], conversations: int, memory: dict[str, int], arch: str) -> None:
    inbound, reply, close = phases
    n_in, n_reply = conversations * MESSAGES_IN, conversations * REPLIES

    def per(tally: Tally, count: int, value: Callable[[Tally], float]) -> float:
        return value(tally) / count

    def gb_seconds(tally: Tally) -> float:
        return sum(sum(ms) / 1000 * memory[f] / 1024 for f, ms in tally.billed.items())

    def logs(tally: Tally) -> float:
        return float(sum(tally.log_bytes.values()))

    measures: list[tuple[str, Callable[[Tally], float], str | None]] = [
        ("API Gateway HTTP requests", lambda t: t.http_requests, "http_request"),
        ("Lambda invocations", lambda t: sum(t.invocations.values()), "lambda_request"),
        (f"Lambda GB-seconds ({arch})", gb_seconds, f"gb_second_{arch}"),
        ("DynamoDB write units (table)", lambda t: t.wru, "wru"),
        ("DynamoDB write units (indexes)", lambda t: t.index_writes, "wru"),
        ("DynamoDB read units", lambda t: t.rru, "rru"),
        ("SQS FIFO requests", lambda t: t.sqs_requests, "sqs_fifo_request"),
        ("WebSocket messages (frames + actions)", lambda t: t.ws_out + t.ws_in, "ws_message"),
        ("Firehose / S3 bytes (reports: none yet)", lambda t: 0.0, "firehose_gb"),
        ("CloudWatch Logs bytes", logs, "logs_gb"),
    ]
    lines = []
    for label, value, price in measures:
        a, b, c = per(inbound, n_in, value), per(reply, n_reply, value), per(close, conversations, value)
        lines.append(Line(label, a, b, MESSAGES_IN * a + REPLIES * b + c, price))
    # Connection minutes: the 55 connections, shared by the conversations open at once, for a conversation's length.
    minutes = (AGENTS + SUPERVISORS) * CONVERSATION_MINUTES / CONCURRENT_CONVERSATIONS
    lines.append(Line("WebSocket connection minutes (55 open)", 0, 0, minutes, "ws_minute"))
    lines.append(Line("WebSocket keep-alive pings", 0, 0, minutes / WS_PING_MINUTES, "ws_message"))

    print(
        f"{conversations} conversations ({MESSAGES_IN} SMS in, {REPLIES} replies with {CALLBACKS_PER_REPLY} status "
        f"callbacks each, then closed), {AGENTS} agents and {SUPERVISORS} supervisors connected "
        f"(SupervisorFrames={os.environ.get('SUPERVISOR_FRAMES', 'all')}); in-process, moto"
    )
    print(f"Lambda: {arch}, MemorySize " + ", ".join(f"{f} {m} MB" for f, m in memory.items()))
    header = f"{'':42} {'per SMS in':>11} {'per reply':>10} {'per conv.':>10} {'$ per 1M conv.':>15}"
    print(header)
    total = 0.0
    for line in lines:
        unit_price = PRICES[line.price_key][0] if line.price_key else 0.0
        cost = line.per_conversation * unit_price * 1e6
        total += cost
        print(
            f"{line.label:42} {line.per_inbound:>11.2f} {line.per_reply:>10.2f} {line.per_conversation:>10.2f} "
            f"{cost:>15.2f}"
        )
    messages = MESSAGES_IN + REPLIES
    print(f"{'total per 1M conversations':42} {'':>11} {'':>10} {'':>10} {total:>15.2f}")
    print(
        f"per 1M messages ({messages} a conversation): ${total / messages:.2f} infrastructure (goal: under $10); "
        f"the SMS itself: ${SMS_SEGMENT[0] * 1e6:,.0f} per 1M segments ({SMS_SEGMENT[1]}), so the infrastructure is "
        f"{total / messages / (SMS_SEGMENT[0] * 1e6) * 100:.2f}% of the SMS bill"
    )
    print("Per function (all phases): invocations per conversation, mean modelled billed ms, own CPU ms, AWS-call ms")
    for function, megabytes in memory.items():
        calls = sum(t.invocations[function] for t in (inbound, reply, close))
        if not calls:
            continue
        billed = [ms for t in (inbound, reply, close) for ms in t.billed.get(function, [])]
        cpu = sum(t.cpu_seconds[function] for t in (inbound, reply, close)) * 1000 / calls
        waits = sum(t.call_ms[function] for t in (inbound, reply, close)) / calls
        print(
            f"  {function:9} {calls / conversations:5.1f} x  billed {sum(billed) / calls:6.1f} ms at "
            f"{megabytes} MB  (own CPU {cpu:5.1f} ms on a full core, AWS calls {waits:5.1f} ms)"
        )
    sizing(phases, arch)
    lines_all = [size for t in (inbound, reply, close) for _, size in t.log_lines]
    print(
        f"Log lines: {len(lines_all) / conversations:.1f} per conversation, largest {max(lines_all, default=0)} bytes "
        f"(Powertools JSON and EMF metric lines; no platform START/END/REPORT lines: SystemLogLevel WARN)"
    )
    print(
        f"Assumed: AWS call latency {CALL_MS} ms, provider send API {PROVIDER_API_MS:.0f} ms (outbound), "
        f"{CONCURRENT_CONVERSATIONS} conversations open at once for {CONVERSATION_MINUTES:.0f} min, a ping every "
        f"{WS_PING_MINUTES:.0f} min. Not per message: the two once-a-minute sweeps (~86,400 invocations/month), "
        "the SQS poller's empty long polls, CloudWatch custom metrics ($0.30 each per month), table storage."
    )
    print("Prices (us-east-1, on-demand list):")
    for price, source in PRICES.values():
        print(f"  {price * 1e6:>10.4f} per 1M  {source}")


def sizing(phases: tuple[Tally, Tally, Tally], arch: str) -> None:
    """Each function's mean billed duration and cost per 1M invocations at 256, 512 and 1,024 MB, from its
    measured CPU (scaled to the memory's share of a vCPU) and its modelled waits (which do not shrink)."""
    sizes = (256, 512, 1024)
    price = PRICES[f"gb_second_{arch}"][0]
    print("Sizing: mean billed ms and $ per 1M invocations (" + arch + ") at " + " / ".join(f"{m} MB" for m in sizes))
    functions = sorted({f for tally in phases for f in tally.samples})
    for function in functions:
        samples = [s for tally in phases for s in tally.samples.get(function, [])]
        extra = PROVIDER_API_MS if function == "outbound" else 0.0
        cells = []
        for memory in sizes:
            billed = [math.ceil(cpu * max(1.0, VCPU_MB / memory) + wait + extra) for cpu, wait in samples]
            mean = sum(billed) / len(billed)
            cells.append(f"{mean:6.1f} ms ${mean / 1000 * memory / 1024 * price * 1e6:6.2f}")
        print(f"  {function:9} " + "  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--calls", action="store_true", help="also list every AWS call per phase")
    default_frames = load_template()["Parameters"]["SupervisorFrames"]["Default"]
    parser.add_argument("--supervisor-frames", choices=["all", "watched"], default=default_frames)
    arguments = parser.parse_args()
    os.environ["SUPERVISOR_FRAMES"] = arguments.supervisor_frames
    from moto.dynamodb.models.table import StreamShard

    StreamShard.__deepcopy__ = lambda self, memo: self  # type: ignore[attr-defined]
    memory, arch = function_memory()
    meter = Meter(memory)
    with mock_aws():
        center = Center(meter)
        warm = Tally(), Tally(), Tally()
        center.conversation(0, *warm)  # cold starts and first-use caches: not a steady conversation's
        inbound, reply, close = Tally(), Tally(), Tally()
        for n in range(1, arguments.conversations + 1):
            center.conversation(n, inbound, reply, close)
        for tally in (inbound, reply, close):
            for function, ms in tally.billed.items():
                if function == "outbound":
                    tally.billed[function] = [m + PROVIDER_API_MS for m in ms]
        center.sandbox.shutdown()
        center.sandbox.server_close()
    bill((inbound, reply, close), arguments.conversations, memory, arch)
    if arguments.calls:
        for label, tally, count in (("SMS in", inbound, 4), ("reply", reply, 3), ("close", close, 1)):
            print(f"AWS calls per {label}:")
            for call, number in sorted(tally.calls.items()):
                print(f"  {number / (count * arguments.conversations):6.2f}  {call}")


if __name__ == "__main__":
    main()
