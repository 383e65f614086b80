"""WebSocket connection tickets (`POST /realtime/tickets`): short-lived and single use, bound to the user.

The table keeps only the ticket's SHA-256 (`keys.ticket`), so reading it gives no usable ticket. `peek` is what
the $connect authorizer checks; `consume` (a conditional delete) is what the $connect route does, so a ticket opens
one connection even when API Gateway replays a cached authorizer answer.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, from_item, to_item, to_values

DEFAULT_TTL_SECONDS = 30


def digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


@dataclass(frozen=True)
class Ticket:
    role: str  # "agent" | "supervisor", as on the WebSocket
    agent_id: str | None
    actor: str
    valid_until: int


class TicketStore:
    def __init__(self, table: Table, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self.table = table
        self.ttl_seconds = ttl_seconds

    def issue(self, role: str, agent_id: str | None, actor: str) -> tuple[str, int]:
        """A new ticket and its lifetime in seconds."""
        ticket = secrets.token_urlsafe(32)
        valid_until = int(time.time()) + self.ttl_seconds
        item = {
            **keys.ticket(digest(ticket)),
            "entity": "ticket",
            "role": role,
            "agentId": agent_id,
            "actor": actor,
            "validUntil": valid_until,
            # DynamoDB's TTL removes it later; `validUntil` is what counts.
            "expiresAt": valid_until + 300,
        }
        self.table.client.put_item(TableName=self.table.name, Item=to_item(item))
        return ticket, self.ttl_seconds

    def peek(self, ticket: str) -> Ticket | None:
        """The unexpired, unused ticket, or None."""
        item = self.table.get(keys.ticket(digest(ticket)))
        if not item or int(item.get("validUntil", 0)) <= time.time():
            return None
        return _ticket(item)

    def consume(self, ticket_digest: str) -> Ticket | None:
        """Use the ticket (by its digest): the ticket when this call used it, None when it was used or expired."""
        try:
            response = self.table.client.delete_item(
                TableName=self.table.name,
                Key=to_item(keys.ticket(ticket_digest)),
                ConditionExpression="attribute_exists(pk) AND validUntil > :now",
                ExpressionAttributeValues=to_values({":now": int(time.time())}),
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        item = from_item(response.get("Attributes"))
        return _ticket(item) if item else None


def _ticket(item: dict) -> Ticket:
    return Ticket(
        role=str(item["role"]),
        agent_id=item.get("agentId") or None,
        actor=str(item.get("actor") or ""),
        valid_until=int(item["validUntil"]),
    )
