"""The component tests' harness: the table's stream replayed as Lambda's event source mapping replays it, the
worlds of the routing and trigger tests (configuration through the admin function, SMS through the stores' inbound
path, the triggers function fed from the stream), Twilio-signed webhooks, and the shared `eventually` polling
helper and signed-receiver server (tests/support.py)."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from twilio.request_validator import RequestValidator

from smschannel.dynamo import Table
from smschannel.models import Account, InboundMessage
from smschannel.observability import logger
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.inbound_messages import InboundMessageStore, InboundOutcome
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.triggers import TriggerStore
from smschannel.triggers.model import Trigger
from smschannel.triggers.validation import parse_trigger
from tests.conftest import FakeContext, admin, call, http_event, load_function, load_template
from tests.support import Received, SignedReceiver, eventually

__all__ = ["Received", "SignedReceiver", "eventually"]


def share_stream_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto backs up the whole table, stream log included, before every transaction item; sharing the append-only
    stream log between the backup and the table keeps that linear (and keeps stream iterators valid)."""
    from moto.dynamodb.models.table import StreamShard

    monkeypatch.setattr(StreamShard, "__deepcopy__", lambda self, memo: self, raising=False)


def webhook_bot(secret: str) -> SignedReceiver:
    """A webhook bot on a real local port: verifies the signature, answers, hands off on "human"."""

    def answer(turn: dict[str, Any]) -> dict[str, Any]:
        return {
            "reply": f"bot heard: {turn['body']}",
            "handoff": "human" in turn["body"].lower(),
            "attributes": {"turns": len(bot.received)},
        }

    bot = SignedReceiver(secret, path="/bot", answer=answer)
    return bot


HOST = "abc123.execute-api.us-east-1.amazonaws.com"
TOKEN = "f" * 32
SID = "AC" + "1" * 32


def twilio_form(phone: str, body: str, sid: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": SID,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def post(
    fn: ModuleType,
    form: dict[str, str],
    *,
    path: str = "/webhooks/acme",
    base64_body: bool = False,
    signature: str | None = None,
    stage: str = "$default",
) -> tuple[int, Any, dict[str, str]]:
    url = f"https://{HOST}{path}"
    sig = RequestValidator(TOKEN).compute_signature(url, form) if signature is None else signature
    headers = {"content-type": "application/x-www-form-urlencoded", **({"x-twilio-signature": sig} if sig else {})}
    route = "POST /webhooks/{accountId}" + ("/status" if path.endswith("/status") else "")
    event = http_event(
        "POST", path, body=urlencode(form), headers=headers, base64_body=base64_body, route_key=route, stage=stage
    )
    return call(fn, event)


TWILIO = {"accountSid": "AC" + "0" * 32, "authToken": "secret-auth-token"}


class TableStream:
    """Reads every change written to the table since the last read, in the Lambda event's record shape.

    Each read starts from a fresh AFTER_SEQUENCE_NUMBER iterator (a Lambda poller's checkpoint): moto rebuilds
    the table when it rolls back a cancelled transaction, which strands iterators taken before.
    """

    def __init__(self, table_name: str) -> None:
        self.arn = boto3.client("dynamodb").describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams")
        self.shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        self.last_sequence: str | None = None
        self.read()

    def read(self) -> list[dict[str, Any]]:
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last_sequence}
            if self.last_sequence
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=self.shard, **position)["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            iterator = response["NextShardIterator"]
            if not response["Records"]:
                return records
            records += [self._as_lambda_record(record) for record in response["Records"]]
            self.last_sequence = records[-1]["dynamodb"]["SequenceNumber"]

    def _as_lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {**record, "dynamodb": change, "eventSourceARN": self.arn}


def stream_filter(function: str) -> Callable[[dict[str, Any]], bool]:
    """template.yaml's FilterCriteria of `function`'s table-stream event, evaluated as the event source mapping
    evaluates it: a record passes when any of the patterns matches it."""
    events = load_template()["Resources"][function]["Properties"]["Events"]
    [criteria] = [event["Properties"]["FilterCriteria"] for event in events.values() if event["Type"] == "DynamoDB"]
    patterns = [json.loads(each["Pattern"]) for each in criteria["Filters"]]

    def passes(record: dict[str, Any]) -> bool:
        return any(matches_pattern(pattern, record) for pattern in patterns)

    return passes


def matches_pattern(pattern: dict[str, Any], event: Any) -> bool:
    """The subset of EventBridge's filter pattern syntax template.yaml uses: nested objects, and at the leaves a
    list of exact values of which the event's value must be one (for a list value, one of its elements). Any other
    rule (prefix, numeric, exists, anything-but, ...) raises, so a template using one is not evaluated wrongly."""
    if not isinstance(event, dict):
        return False
    for name, expected in pattern.items():
        if name not in event:
            return False
        value = event[name]
        if isinstance(expected, dict):
            if not matches_pattern(expected, value):
                return False
            continue
        if any(isinstance(rule, dict) for rule in expected):
            raise NotImplementedError(f"filter rule {expected!r} is not evaluated by the tests' harness")
        values = value if isinstance(value, list) else [value]
        if not any(candidate in expected for candidate in values):
            return False
    return True


TRIGGERS_FILTER = stream_filter("TriggersFunction")  # the domain consumer: new replies, triggers, routing
FANOUT_FILTER = stream_filter("FanoutFunction")


def stream_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


class Routing:
    """One test's world: configuration through the admin API, SMS through the stores' inbound path, and
    the triggers function fed from the table stream until it goes quiet."""

    def __init__(self, names: dict[str, str], batch_size: int = 100) -> None:
        self.admin = load_function("admin")
        self.triggers = load_function("triggers")
        self.table = Table(names["table"])
        self.configuration = ConfigurationStore(self.table)
        self.contacts = ContactStore(self.table)
        self.interactions = InteractionStore(self.table)
        self.inbound_messages = InboundMessageStore(self.table, self.interactions)
        self.stream = TableStream(names["table"])
        self.batch_size = batch_size
        self.account = Account(
            id="acct-" + uuid.uuid4().hex[:6],
            name="Routing test",
            provider="twilio",
            phone_number="+15005550006",
            credentials=TWILIO,
            queue_id=None,
        )
        self.responses: list[dict[str, Any]] = []

    def queue(self, queue_id: str, **body: Any) -> None:
        status, parsed = admin(self.admin, "PUT", f"/admin/queues/{queue_id}", {"name": queue_id, **body})
        assert status in (200, 201), parsed

    def agent(self, agent_id: str, capacity: int = 3, status: str = "ready") -> None:
        body = {"name": agent_id, "capacity": capacity, "status": status}
        code, parsed = admin(self.admin, "PUT", f"/admin/agents/{agent_id}", body)
        assert code in (200, 201), parsed

    def use_queue(self, queue_id: str) -> None:
        self.account = self.account.model_copy(update={"queue_id": queue_id})
        self.configuration.put_account(self.account)

    def sms(self, phone: str, body: str = "hello") -> InboundOutcome:
        inbound = InboundMessage(
            provider="twilio",
            provider_message_id="SM" + uuid.uuid4().hex,
            **{"from": phone},
            to="+15005550006",
            body=body,
        )
        return self.inbound_messages.record_inbound(self.account, inbound, phone, self.account.phone_number)

    def pump(self, module: ModuleType | None = None) -> int:
        """Deliver the stream to the handler in batches until no change is left; returns records delivered."""
        delivered = 0
        while records := [record for record in self.stream.read() if TRIGGERS_FILTER(record)]:
            for start in range(0, len(records), self.batch_size):
                self.responses.append(self.invoke(stream_event(records[start : start + self.batch_size]), module))
            delivered += len(records)
        return delivered

    def invoke(self, event: dict[str, Any], module: ModuleType | None = None) -> dict[str, Any]:
        response: dict[str, Any] = (module or self.triggers).lambda_handler(event, FakeContext())
        return response

    def sweep(self, module: ModuleType | None = None) -> dict[str, Any]:
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "id": "e", "resources": []}
        return self.invoke(event, module)

    def interaction(self, interaction_id: str) -> dict[str, Any]:
        found = self.table.get({"pk": f"INTERACTION#{interaction_id}", "sk": "INTERACTION"})
        assert found is not None
        return found

    def agent_item(self, agent_id: str) -> dict[str, Any]:
        found = self.table.get({"pk": f"AGENT#{agent_id}", "sk": "AGENT"})
        assert found is not None
        return found


def phone(n: int) -> str:
    return f"+1555{n:07d}"


def later(seconds: int) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class World(Routing):
    def __init__(self, names: dict[str, str]) -> None:
        super().__init__(names)
        self.store = TriggerStore(self.table)
        self.queue_url = names["call_url_queue"]
        self.replies_url = names["replies_queue"]
        self.configuration.put_account(self.account)
        self.delivered: list[dict[str, Any]] = []

    @property
    def engine(self) -> Any:
        return self.triggers.consumer.changes.engine

    def trigger(self, trigger_id: str, **body: Any) -> Trigger:
        trigger = Trigger(id=trigger_id, account_id=self.account.id, **parse_trigger(body).model_dump())
        self.store.put_trigger(trigger)
        self.engine._triggers.clear()  # the per-container cache: a new trigger shows at once in tests
        return trigger

    def pump(self, module: Any = None) -> int:
        delivered = 0
        while records := [record for record in self.stream.read() if TRIGGERS_FILTER(record)]:
            self.delivered += records
            for start in range(0, len(records), self.batch_size):
                self.responses.append(self.invoke(stream_event(records[start : start + self.batch_size]), module))
            delivered += len(records)
        return delivered

    def runs(self, trigger_id: str) -> list[dict[str, Any]]:
        return [run.to_json_dict() for run in self.store.list_runs(self.account.id, trigger_id)]

    def queued_calls(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        found = []
        while True:
            response = sqs.receive_message(
                QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300
            )
            if not response.get("Messages"):
                return found
            found += [json.loads(message["Body"]) for message in response["Messages"]]

    def queued_replies(self) -> list[dict[str, Any]]:
        """What the domain consumer put on the outbound queue (the sender's references), taken off it."""
        return self.queued_calls(self.replies_url)


def make_world(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> World:
    """The triggers' world: a Routing world whose account exists, with SQS queues for callUrl deliveries and for
    replies."""
    from smschannel.settings import get_settings

    share_stream_log(monkeypatch)
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"calls-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    monkeypatch.setenv("CALL_URL_QUEUE_URL", queue_url)
    # The triggers' replies come back on the stream to the same function, which puts them on the outbound queue.
    replies = sqs.create_queue(QueueName=f"replies-{uuid.uuid4().hex[:6]}.fifo", Attributes={"FifoQueue": "true"})
    monkeypatch.setenv("OUTBOUND_QUEUE_URL", replies["QueueUrl"])
    get_settings.cache_clear()
    return World({**aws, "call_url_queue": queue_url, "replies_queue": replies["QueueUrl"]})


def ready_queue(world: World, queue_id: str = "support", agent_id: str = "agent-1") -> None:
    world.agent(agent_id, capacity=3)
    world.queue(queue_id, agentIds=[agent_id])


class Realtime:
    """The realtime function (agents' and supervisors' actions) and the fan-out beside the routing world, both
    fed from the table's own stream; used by the fan-out tests and bench/supervisor_frames.py."""

    def __init__(self, world: Routing) -> None:
        self.world = world
        self.fanout = load_function("fanout")
        self.realtime = load_function("realtime")
        self.responses: list[dict[str, Any]] = []
        # The $connect authorizer's context (wsauth): a supervisor scoped to teams carries its supervisorId.
        self.supervisor_ids: dict[str, str] = {}
        self.records: list[dict[str, Any]] = []  # every stream record pumped, as both consumers got them

    def _authorizer(self, connection_id: str, role: str, agent_id: str | None) -> dict[str, str]:
        return {
            "role": role,
            "agentId": agent_id or "",
            "expiresAt": str(int(time.time()) + 3600),
            "supervisorId": self.supervisor_ids.get(connection_id, ""),
        }

    def connect(
        self, connection_id: str, role: str, agent_id: str | None = None, supervisor_id: str | None = None
    ) -> None:
        if supervisor_id:
            self.supervisor_ids[connection_id] = supervisor_id
        authorizer = self._authorizer(connection_id, role, agent_id)
        event = {"requestContext": {"routeKey": "$connect", "connectionId": connection_id, "authorizer": authorizer}}
        assert self.realtime.lambda_handler(event, FakeContext()) == {"statusCode": 200}

    def act(self, connection_id: str, role: str, agent_id: str | None, **frame: Any) -> None:
        authorizer = self._authorizer(connection_id, role, agent_id)
        event = {
            "requestContext": {"routeKey": frame["action"], "connectionId": connection_id, "authorizer": authorizer},
            "body": json.dumps(frame),
        }
        assert self.realtime.lambda_handler(event, FakeContext()) == {"statusCode": 200}

    def pump(self) -> None:
        """Both consumers of the table stream, until it is quiet (routing assigns, the fan-out pushes)."""
        while records := self.world.stream.read():
            self.records += records
            routed = [record for record in records if TRIGGERS_FILTER(record)]
            if routed:
                self.world.invoke(stream_event(routed))
            fanned = [record for record in records if FANOUT_FILTER(record)]
            if fanned:
                self.responses.append(self.fanout.lambda_handler(stream_event(fanned), FakeContext()))


def frames_of(connection_id: str) -> list[dict[str, Any]]:
    """Every frame moto's @connections received for one connection (their JSON texts, concatenated); none for a
    connection nothing was pushed to yet."""
    connection = apigatewaymanagementapi_backends["123456789012"]["us-east-1"].connections.get(connection_id)
    data = connection.data.decode() if connection else ""
    decoder, frames, position = json.JSONDecoder(), [], 0
    while position < len(data):
        frame, position = decoder.raw_decode(data, position)
        frames.append(frame)
    return frames


def report_over_facts(
    records: list[dict[str, Any]], report: str, params: dict[str, str], time_zone_of: Callable[[str], str]
) -> list[dict[str, Any]]:
    """A report as the emulator's Athena answers it: the facts the domain consumer puts to Firehose for these
    stream records (smschannel.reports.facts, over the records its filter passes), as JSON lines in dt= folders,
    read by DuckDB and queried with the report's own SQL (requirements/dev.txt pins duckdb)."""
    import tempfile
    from datetime import UTC, datetime
    from pathlib import Path

    import duckdb

    from smschannel.reports.facts import Fact, facts_of, interaction_fact, message_fact
    from smschannel.reports.queries import item_of, parse_request, render_sql
    from smschannel.stream import StreamChange

    facts: list[Fact] = [
        fact
        for record in records
        if TRIGGERS_FILTER(record)
        for fact in facts_of(StreamChange.from_raw(record), time_zone_of)
    ]
    # One fact of each kind on a day no report asks for: both tables have every column, however few facts there are.
    stamp = "2000-01-01T00:00:00.000Z"
    facts += [
        interaction_fact({"id": "-", "accountId": "-", "createdAt": stamp, "closedAt": stamp}, "UTC"),
        message_fact({"id": "-", "interactionId": "-", "accountId": "-", "createdAt": stamp, "status": "-"}, "UTC"),
    ]
    with tempfile.TemporaryDirectory() as root:
        for n, fact in enumerate(facts):
            folder = Path(root) / "facts" / fact.kind / f"dt={fact.dt}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"fact-{n}").write_text(json.dumps(fact.to_json_dict()) + "\n")
        connection = duckdb.connect()
        for table, kind in (("interaction_facts", "interactions"), ("message_facts", "messages")):
            connection.read_json(
                f"{root}/facts/{kind}/**", hive_partitioning=True, hive_types={"dt": "VARCHAR"}, union_by_name=True
            ).create_view(table)
        request = parse_request(report, params, datetime.now(UTC).date())
        cursor = connection.execute(render_sql(request))
        columns = [column[0] for column in cursor.description]
        return [item_of(dict(zip(columns, row, strict=True)), request.group_by) for row in cursor.fetchall()]


@contextmanager
def logger_output(level: str) -> Iterator[io.StringIO]:
    """Everything Powertools' logger writes at `level`, into a buffer; its stream, level and keys put back after."""
    buffer = io.StringIO()
    handler: Any = logger.registered_handler
    previous = handler.setStream(buffer)
    before = logger.log_level
    logger.setLevel(level)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
        logger.setLevel(before)
        logger.clear_state()
