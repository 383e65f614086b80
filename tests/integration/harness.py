"""The integration tests' harness: the shared `eventually` polling helper and signed-receiver server
(tests/support.py), the sandbox's outbox, real WebSocket clients (`websockets`) on the deployed stack's WebSocket
API, and a team of one queue per test."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import requests
import websockets
from boto3.dynamodb.types import TypeDeserializer
from websockets.asyncio.client import ClientConnection

from tests.integration.conftest import Stack
from tests.support import Received, SignedReceiver, eventually

__all__ = ["Received", "SignedReceiver", "eventually"]


def outbox(stack: Stack, to: str) -> list[dict[str, Any]]:
    """Every send the stack made to a provider's sandbox API for `to`, in order."""
    response = requests.get(f"{stack.sandbox}/outbox", timeout=30)
    assert response.status_code == 200, response.text
    return [item for item in response.json()["items"] if item.get("to") == to]


TABLE_NAME = "sms-channel-table"  # the local stack's table (template.yaml: ${AWS::StackName}-table)


def stack_client(stack: Stack, service: str, endpoint: str | None = None) -> Any:
    """A boto3 client of `service` on the local stack's emulator (or `endpoint`), to look at what no route shows."""
    return boto3.client(
        service,
        endpoint_url=endpoint or stack.endpoint,
        region_name="us-east-1",
        aws_access_key_id="000000000000",
        aws_secret_access_key="local",
    )


def stack_table(stack: Stack) -> Any:
    """A DynamoDB client on the local stack's emulator."""
    return stack_client(stack, "dynamodb")


def interaction_item(stack: Stack, interaction_id: str) -> dict[str, Any]:
    """The interaction's table item as stored (routing's index fields included), read consistently."""
    key = {"pk": {"S": f"INTERACTION#{interaction_id}"}, "sk": {"S": "INTERACTION"}}
    found = stack_table(stack).get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True)
    assert "Item" in found, f"no item for interaction {interaction_id}"
    return {name: _DESERIALIZE.deserialize(value) for name, value in found["Item"].items()}


_DESERIALIZE = TypeDeserializer()


def token(stack: Stack, **body: str) -> str:
    response = stack.admin("POST", "/admin/tokens", json=body)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["token"])


class Client:
    """One WebSocket connection that records every frame it receives."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.connection:
                async with self._arrived:
                    self.frames.append(json.loads(raw))
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            return

    async def send(self, **frame: Any) -> None:
        await self.connection.send(json.dumps(frame))

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0, after: int = 0
    ) -> dict[str, Any]:
        """The first frame (from index `after`) matching `predicate`, as soon as it arrives; AssertionError naming
        what came instead."""

        def found() -> dict[str, Any] | None:
            return next((frame for frame in self.frames[after:] if predicate(frame)), None)

        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), timeout)
            except TimeoutError:
                raise AssertionError(f"no matching frame within {timeout} s; got {self.types()}") from None
            frame = found()
            assert frame is not None
            return frame

    async def wait_type(self, kind: str, timeout: float = 10.0, after: int = 0, **fields: Any) -> dict[str, Any]:
        def matches(frame: dict[str, Any]) -> bool:
            return frame.get("type") == kind and all(frame.get(name) == value for name, value in fields.items())

        return await self.wait_for(matches, timeout, after)

    def types(self) -> list[str]:
        return [str(frame.get("type")) for frame in self.frames]

    async def close(self) -> None:
        await self.connection.close()
        self._reader.cancel()


async def connect(stack: Stack, token_value: str) -> Client:
    assert stack.ws, "the stack has no WebSocket URL"
    return Client(await websockets.connect(f"{stack.ws}?token={token_value}", open_timeout=30))


@dataclass
class Team:
    """A queue of its own with its agents and a Twilio account, so tests never see each other's interactions."""

    queue_id: str
    agent_ids: list[str]
    account: dict[str, Any]

    @property
    def account_id(self) -> str:
        return str(self.account["id"])


def make_team(stack: Stack, statuses: list[str], service_level_seconds: int = 60) -> Team:
    suffix = uuid.uuid4().hex[:6]
    agent_ids = [f"rt-{suffix}-{index}" for index in range(len(statuses))]
    for index, (agent_id, status) in enumerate(zip(agent_ids, statuses, strict=True)):
        body = {"name": f"Agent {suffix} {index}", "capacity": 3, "status": status}
        assert stack.admin("PUT", f"/admin/agents/{agent_id}", json=body).ok
    queue_id = f"rtq-{suffix}"
    queue = {"name": f"Realtime {suffix}", "agentIds": agent_ids, "serviceLevelSeconds": service_level_seconds}
    assert stack.admin("PUT", f"/admin/queues/{queue_id}", json=queue).ok
    account = stack.twilio_account(f"rta-{suffix}", queueId=queue_id)
    return Team(queue_id=queue_id, agent_ids=agent_ids, account=account)


def new_phone() -> str:
    return "+1415556" + str(uuid.uuid4().int % 10000).zfill(4)
