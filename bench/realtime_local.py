"""Realtime through the deployed local stack: webhook accepted -> agent frame, beside the emulator's own floor, and
fan-out frames per second with 50 agents and 5 supervisors connected.

1. Latency (p50/p95), one SMS at a time, interleaved in the same run:
   - new conversation: the webhook answered -> `message.created` at the agent (inbound write, stream, routing's
     assignment, stream, fan-out, @connections);
   - next message of an assigned conversation: the webhook answered -> `message.created` (one stream hop);
   - the floor: a DynamoDB write to a table of its own -> its stream -> a no-op Python consumer that posts one
     frame -> @connections -> the client. What the emulator itself costs for one hop, with no domain code.
2. Throughput: BURST first messages posted CONCURRENCY at a time to a queue of 50 ready agents, with 50 agent and 5
   supervisor connections open; frames received by all clients per second, from the first post to the last frame.

Run after `make build`: `.venv/bin/python bench/realtime_local.py [SAMPLES] [BURST]` (SMS_TEST_ENDPOINTS=<a running
stack's endpoints.json> reuses that stack instead of starting one).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import statistics
import sys
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from bench.figures import p95  # noqa: E402
from tests.integration.conftest import Stack, local_stack  # noqa: E402
from tests.integration.harness import Client, connect, token  # noqa: E402

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 40
BURST = int(sys.argv[2]) if len(sys.argv) > 2 else 100
CONCURRENCY = 16
AGENTS, SUPERVISORS = 50, 5
FLOOR_TABLE = "bench-realtime-floor"
FLOOR_FUNCTION = "bench-realtime-floor-consumer"
FLOOR_CODE = """
import json, os, boto3
client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["CONNECTIONS_ENDPOINT"])
def handler(event, context):
    for record in event["Records"]:
        image = record["dynamodb"].get("NewImage") or {}
        if "connectionId" in image:
            frame = json.dumps({"type": "floor", "id": image["pk"]["S"]}).encode()
            client.post_to_connection(ConnectionId=image["connectionId"]["S"], Data=frame)
    return {}
"""


def percentiles(label: str, values: list[float]) -> None:
    values = sorted(values)
    print(
        f"  {label:<52} p50 {statistics.median(values) * 1000:6.0f} ms   p95 {p95(values) * 1000:6.0f} ms   "
        f"(n={len(values)}, min {values[0] * 1000:.0f}, max {values[-1] * 1000:.0f})"
    )


def aws(stack: Stack, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.endpoint,
        region_name="us-east-1",
        aws_access_key_id="000000000000",
        aws_secret_access_key="local",  # noqa: S106 - the emulator's dummy credentials
    )


def deploy_floor(stack: Stack) -> None:
    """A table with a stream and a no-op consumer that only posts a frame: the emulator's own cost of one hop."""
    dynamodb, lambdas = aws(stack, "dynamodb"), aws(stack, "lambda")
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=FLOOR_TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
    stream_arn = dynamodb.describe_table(TableName=FLOOR_TABLE)["Table"]["LatestStreamArn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", FLOOR_CODE)
    ws_api = stack.ws.rstrip("/").split("/_aws/execute-api/")[1] if stack.ws else ""
    with contextlib.suppress(lambdas.exceptions.ResourceConflictException):
        lambdas.create_function(
            FunctionName=FLOOR_FUNCTION,
            Runtime="python3.13",
            Handler="index.handler",
            Role="arn:aws:iam::000000000000:role/bench",
            Code={"ZipFile": archive.getvalue()},
            Environment={"Variables": {"CONNECTIONS_ENDPOINT": f"{stack.endpoint}/_aws/execute-api/{ws_api}"}},
        )
        lambdas.create_event_source_mapping(
            EventSourceArn=stream_arn,
            FunctionName=FLOOR_FUNCTION,
            StartingPosition="LATEST",
            BatchSize=100,
            MaximumBatchingWindowInSeconds=0,
        )


def supervisor_connection_ids(stack: Stack) -> set[str]:
    items = aws(stack, "dynamodb").query(
        TableName="sms-channel-table",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "SUPERVISORS"}},
        ConsistentRead=True,
    )["Items"]
    return {item["connectionId"]["S"] for item in items}


def team(stack: Stack, agents: int, capacity: int) -> tuple[list[str], dict[str, Any]]:
    suffix = uuid.uuid4().hex[:6]
    agent_ids = [f"bench-rt-{suffix}-{index}" for index in range(agents)]
    for agent_id in agent_ids:
        body = {"name": agent_id, "capacity": capacity, "status": "ready"}
        assert stack.admin("PUT", f"/admin/agents/{agent_id}", json=body).ok
    queue = {"name": f"Bench {suffix}", "strategy": "least-busy", "agentIds": agent_ids}
    assert stack.admin("PUT", f"/admin/queues/bench-rt-{suffix}", json=queue).ok
    return agent_ids, stack.twilio_account(f"bench-rt-{suffix}", queueId=f"bench-rt-{suffix}")


async def latency(stack: Stack) -> None:
    deploy_floor(stack)
    [agent_id], account = team(stack, 1, SAMPLES + 10)
    agent = await connect(stack, token(stack, agentId=agent_id))
    before = supervisor_connection_ids(stack)
    floor_client = await connect(stack, token(stack, role="supervisor"))  # never subscribed: only floor frames
    await asyncio.sleep(0.5)
    [floor_connection] = supervisor_connection_ids(stack) - before
    dynamodb = aws(stack, "dynamodb")

    async def floor_once() -> float:
        key = uuid.uuid4().hex
        start = time.perf_counter()
        await asyncio.to_thread(
            dynamodb.put_item,
            TableName=FLOOR_TABLE,
            Item={"pk": {"S": key}, "connectionId": {"S": floor_connection}},
        )
        await floor_client.wait_for(lambda frame: frame.get("id") == key, timeout=30)
        return time.perf_counter() - start

    async def sms_once(phone: str, body: str) -> float:
        response = await asyncio.to_thread(stack.post_twilio, account, phone, body)
        accepted = time.perf_counter()
        assert response.status_code == 200, response.text
        await agent.wait_for(
            lambda frame: frame.get("type") == "message.created" and frame["message"].get("body") == body, timeout=30
        )
        return time.perf_counter() - accepted

    await floor_once()  # the floor consumer's first (cold) invocation is not a sample
    new, join, floor = [], [], []
    for index in range(SAMPLES):
        phone = f"+1415554{index:04d}"
        new.append(await sms_once(phone, f"new {index} {uuid.uuid4().hex[:6]}"))
        join.append(await sms_once(phone, f"join {index} {uuid.uuid4().hex[:6]}"))
        floor.append(await floor_once())
    print(f"Latency, one at a time ({SAMPLES} samples each, interleaved):")
    percentiles("webhook accepted -> agent frame, new conversation", new)
    percentiles("webhook accepted -> agent frame, assigned conversation", join)
    percentiles("floor: table write -> stream -> no-op -> @connections", floor)
    await agent.close()
    await floor_client.close()


async def throughput(stack: Stack) -> None:
    agent_ids, account = team(stack, AGENTS, 10)
    agents: list[Client] = [await connect(stack, token(stack, agentId=agent_id)) for agent_id in agent_ids]
    supervisors: list[Client] = []
    for _ in range(SUPERVISORS):
        supervisor = await connect(stack, token(stack, role="supervisor"))
        await supervisor.send(action="subscribe", topic="dashboard")
        await supervisor.wait_type("dashboard.snapshot", timeout=30)
        supervisors.append(supervisor)
    clients = agents + supervisors
    baseline = [len(client.frames) for client in clients]
    phones = [f"+1415553{index:04d}" for index in range(BURST)]
    started = time.perf_counter()

    def post(phone: str) -> int:
        return stack.post_twilio(account, phone, f"burst {phone}").status_code

    def received() -> int:
        return sum(len(client.frames) - base for client, base in zip(clients, baseline, strict=True))

    def agent_messages() -> int:
        return sum(client.types().count("message.created") for client in agents)

    pool = ThreadPoolExecutor(CONCURRENCY)
    posting = asyncio.gather(*(asyncio.wrap_future(pool.submit(post, phone)) for phone in phones))
    first_frame = last_change = None
    last_count = 0
    deadline = time.perf_counter() + 180
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
        count = received()
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
            first_frame = first_frame or last_change
        elif posting.done() and agent_messages() >= BURST and time.perf_counter() - (last_change or 0) > 3:
            break
    statuses = await posting
    pool.shutdown()
    assert statuses == [200] * BURST, statuses
    assert first_frame is not None and last_change is not None
    window = last_change - first_frame
    to_agents = sum(len(client.frames) - base for client, base in zip(agents, baseline, strict=False))
    print(f"Fan-out, {AGENTS} agents and {SUPERVISORS} supervisors connected, a burst of {BURST} new conversations:")
    print(f"  first frame {first_frame - started:.2f} s after the first post, last at {last_change - started:.1f} s")
    print(
        f"  {last_count} frames ({to_agents} to agents, {last_count - to_agents} to supervisors) in {window:.1f} s = "
        f"{last_count / window:.0f} frames/s; agents' message.created {agent_messages()}/{BURST}"
    )
    for client in clients:
        await client.close()


def main() -> None:
    with local_stack() as stack:
        asyncio.run(latency(stack))
        asyncio.run(throughput(stack))


if __name__ == "__main__":
    main()
