"""Who is connected: each WebSocket connection stored beside its agent (or among the supervisors) with a TTL."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from smschannel import keys
from smschannel.dynamo import Table, to_item
from smschannel.models import utc_now
from smschannel.principal import Principal

# API Gateway closes a WebSocket connection after two hours at most: an item outlives it by a margin, no more.
MAX_CONNECTION_SECONDS = 2 * 3600
TTL_MARGIN_SECONDS = 300


@dataclass(frozen=True)
class Connection:
    connection_id: str
    role: str
    agent_id: str | None
    watching: str | None = field(default=None, compare=False)  # a supervisor's open conversation
    supervisor_id: str | None = field(default=None, compare=False)  # scopes the dashboard (smschannel.floor.scope)


class ConnectionStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.table_name = table.name
        self.client = table.client

    @staticmethod
    def _key(connection_id: str, principal: Principal) -> dict[str, str]:
        if principal.agent_id:
            return keys.agent_connection(principal.agent_id, connection_id)
        return keys.supervisor_connection(connection_id)

    def add(self, connection_id: str, principal: Principal, now: float | None = None) -> None:
        now = time.time() if now is None else now
        expires = int(min(principal.expires_at, now + MAX_CONNECTION_SECONDS)) + TTL_MARGIN_SECONDS
        item = {
            **self._key(connection_id, principal),
            "entity": "connection",
            "connectionId": connection_id,
            "role": principal.role,
            "agentId": principal.agent_id,
            "supervisorId": principal.supervisor_id,
            "connectedAt": utc_now(),
            "subscribed": False,
            "expiresAt": expires,
        }
        self.client.put_item(TableName=self.table_name, Item=to_item(item))

    def remove(self, connection_id: str, principal: Principal) -> None:
        self.client.delete_item(TableName=self.table_name, Key=to_item(self._key(connection_id, principal)))

    def remove_connection(self, connection: Connection) -> None:
        key = (
            keys.agent_connection(connection.agent_id, connection.connection_id)
            if connection.agent_id
            else keys.supervisor_connection(connection.connection_id)
        )
        self.client.delete_item(TableName=self.table_name, Key=to_item(key))

    def subscribe_supervisor(self, connection_id: str) -> bool:
        """Mark a supervisor's connection as wanting dashboard frames; False when the connection is unknown."""
        return self.table.update_if(
            keys.supervisor_connection(connection_id), "SET subscribed = :t", "attribute_exists(pk)", {":t": True}
        )

    def watch(self, connection_id: str, interaction_id: str) -> bool:
        """Note the conversation a supervisor's connection has open: the fan-out sends it that conversation's
        frames as they happen (the rest of the center reaches it coalesced); False when the connection is unknown."""
        return self.table.update_if(
            keys.supervisor_connection(connection_id),
            "SET watching = :i",
            "attribute_exists(pk)",
            {":i": interaction_id},
        )

    def of_agent(self, agent_id: str) -> list[Connection]:
        return self._connections(keys.agent(agent_id)["pk"])

    def subscribed_supervisors(self) -> list[Connection]:
        return [
            connection for connection, item in self._items(keys.SUPERVISORS_PARTITION) if item.get("subscribed") is True
        ]

    def _connections(self, partition: str) -> list[Connection]:
        return [connection for connection, _ in self._items(partition)]

    def _items(self, partition: str) -> list[tuple[Connection, dict[str, Any]]]:
        items = self.table.query_all(
            None,
            "pk",
            partition,
            sk_condition=" AND begins_with(sk, :c)",
            values={":c": keys.CONNECTION_PREFIX},
            ConsistentRead=True,
        )
        now = int(time.time())
        # TTL deletion lags by up to days: an expired item is a connection API Gateway has closed.
        return [
            (
                Connection(
                    str(item["connectionId"]),
                    str(item.get("role")),
                    item.get("agentId"),
                    item.get("watching"),
                    item.get("supervisorId"),
                ),
                item,
            )
            for item in items
            if int(item.get("expiresAt", now + 1)) > now
        ]
