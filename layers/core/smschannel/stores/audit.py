"""The audit trail in the table: one item per admin change or break-glass use (`keys.audit_entry`), kept
`ttl_days` (at least a year) through the table's `expiresAt` TTL."""

from __future__ import annotations

import time
import uuid
from typing import Any

from smschannel import keys
from smschannel.dynamo import Table, to_item
from smschannel.timestamps import utc_now_iso

DEFAULT_TTL_DAYS = 400
# A read answers at most this many entries (newest first).
PAGE_LIMIT = 500


class AuditStore:
    def __init__(self, table: Table, ttl_days: int = DEFAULT_TTL_DAYS) -> None:
        self.table = table
        self.ttl_seconds = ttl_days * 86_400

    def append(self, actor: str, action: str, resource: str, changes: dict[str, Any]) -> dict[str, Any]:
        at = utc_now_iso()
        entry_id = uuid.uuid4().hex
        entry = {"id": entry_id, "at": at, "actor": actor, "action": action, "resource": resource, "changes": changes}
        item = {
            **keys.audit_entry(at, entry_id),
            "entity": "audit",
            **entry,
            "expiresAt": int(time.time()) + self.ttl_seconds,
        }
        self.table.client.put_item(TableName=self.table.name, Item=to_item(item))
        return entry

    def list(self, resource: str | None, actor: str | None, since: str | None) -> list[dict[str, Any]]:
        """Newest first; `resource` matches the resource or anything under it (`queue/support` and
        `account/a1` also match `account/a1/trigger/t1`)."""
        filters, names, values = [], {}, {}
        if resource:
            filters.append("(#r = :r OR begins_with(#r, :rp))")
            names["#r"] = "resource"
            values.update({":r": resource, ":rp": resource.rstrip("/") + "/"})
        if actor:
            filters.append("#a = :a")
            names["#a"] = "actor"
            values[":a"] = actor
        extra: dict[str, Any] = {}
        if since:
            extra["sk_condition"] = " AND sk >= :since"
            values[":since"] = since
        if filters:
            extra["FilterExpression"] = " AND ".join(filters)
        items = self.table.query_all(
            None,
            "pk",
            keys.AUDIT_PARTITION,
            limit=PAGE_LIMIT,
            ScanIndexForward=False,
            names=names,
            values=values,
            **extra,
        )
        return [
            {
                "at": item["at"],
                "actor": item["actor"],
                "action": item["action"],
                "resource": item["resource"],
                "changes": _with_nulls(item.get("changes") or {}),
            }
            for item in items
        ]


def _with_nulls(changes: dict[str, Any]) -> dict[str, Any]:
    """The table drops null attributes: a field that was absent before (or is after) reads back as null."""
    return {
        name: change if "changed" in change else {"before": change.get("before"), "after": change.get("after")}
        for name, change in changes.items()
    }
