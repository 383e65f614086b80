"""Canned replies: one item each, listed through their one index partition (a center has tens to hundreds)."""

from __future__ import annotations

from smschannel import keys
from smschannel.dynamo import Table
from smschannel.models import CannedReply


class CannedReplyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put(self, reply: CannedReply) -> bool:
        """Create or replace; True when created."""
        return self.table.put_entity(
            key=keys.response(reply.id), index=keys.response_index(reply.id), entity="response", model=reply
        )

    def get(self, response_id: str) -> CannedReply | None:
        item = self.table.get(keys.response(response_id))
        return CannedReply.model_validate(item) if item else None

    def list(self) -> list[CannedReply]:
        found = self.table.query_all(keys.GSI1, "gsi1pk", keys.RESPONSES_PARTITION)
        items = self.table.batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in found])
        return sorted((CannedReply.model_validate(item) for item in items), key=lambda reply: reply.shortcut)

    def delete(self, response_id: str) -> bool:
        return self.table.delete(keys.response(response_id))
