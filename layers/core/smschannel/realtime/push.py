"""Frames to connections through the API Gateway Management API; the endpoint comes from configuration
(`{AWS_ENDPOINT_URL}/_aws/execute-api/{apiId}/{stage}` in the emulator, the API's own endpoint in AWS)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from smschannel.aws_clients import management_api_client
from smschannel.observability import logger
from smschannel.stores.connections import Connection

PUSH_THREADS = 16
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=PUSH_THREADS,
)


def encode(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()


class Pusher:
    def __init__(self, endpoint: str | None, client: Any | None = None) -> None:
        self.endpoint = endpoint
        self._client = client

    @property
    def client(self) -> Any:
        """Built on the first frame, not at import: a cold start that pushes nothing never pays for it."""
        if self._client is None:
            if not self.endpoint:
                raise RuntimeError("CONNECTIONS_ENDPOINT is not set")
            self._client = management_api_client(self.endpoint, CLIENT_CONFIG)
        return self._client

    def send(self, connection_id: str, frame: dict[str, Any]) -> bool:
        """True when delivered; False when the connection is gone (closed, expired)."""
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=encode(frame))
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "GoneException" or status == 410:
                return False
            raise
        return True

    def send_all(self, deliveries: Iterable[tuple[Connection, dict[str, Any]]]) -> list[Connection]:
        """Every (connection, frame), in order per connection, concurrently across connections; returns the gone.

        A frame that fails otherwise (throttled after retries) is logged and dropped: the client restores its
        state from the snapshot when it reconnects.
        """
        by_connection: dict[Connection, list[dict[str, Any]]] = {}
        for connection, frame in deliveries:
            by_connection.setdefault(connection, []).append(frame)
        if not by_connection:
            return []

        def deliver(item: tuple[Connection, list[dict[str, Any]]]) -> Connection | None:
            connection, frames = item
            for frame in frames:
                try:
                    if not self.send(connection.connection_id, frame):
                        return connection
                except ClientError:
                    logger.exception("frame not delivered", extra={"connectionId": connection.connection_id})
            return None

        if len(by_connection) == 1:
            gone = [deliver(next(iter(by_connection.items())))]
        else:
            with ThreadPoolExecutor(max_workers=min(PUSH_THREADS, len(by_connection))) as pool:
                gone = list(pool.map(deliver, by_connection.items()))
        return [connection for connection in gone if connection is not None]
