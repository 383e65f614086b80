"""The dashboard's queue tiles: counters of closed interactions per queue and account, per local day and per half
hour, kept by the fan-out with atomic ADDs (smschannel.realtime.tiles decides what a close adds; keys.py the keys).

Never scanned: a day's (or a half hour's) tiles are one partition, read with one Query (a snapshot) or a
`begins_with` on one queue's id (an update).
"""

from __future__ import annotations

import time
from typing import Any

from smschannel import keys
from smschannel.dynamo import Table, to_item, to_values

DAY_TTL_SECONDS = 8 * 24 * 3600
HALF_HOUR_TTL_SECONDS = 2 * 24 * 3600


class TileStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, local_date: str, half_hour: str, queue_id: str, account_id: str, counts: dict[str, float]) -> None:
        """Add `counts` to the queue's tile of the account's day and of the half hour: one UpdateItem each, ADDs
        only (they commute, so fan-out containers on different shards never overwrite each other)."""
        now = int(time.time())
        for partition, ttl in (
            (keys.tiles_day_partition(local_date), DAY_TTL_SECONDS),
            (keys.tiles_half_hour_partition(half_hour), HALF_HOUR_TTL_SECONDS),
        ):
            names = {f"#c{n}": name for n, name in enumerate(counts)}
            values: dict[str, Any] = {f":c{n}": value for n, value in enumerate(counts.values())}
            values |= {":q": queue_id, ":a": account_id, ":e": now + ttl}
            adds = ", ".join(f"#c{n} :c{n}" for n in range(len(counts)))
            self.table.client.update_item(
                TableName=self.table.name,
                Key=to_item(keys.tile(partition, queue_id, account_id)),
                UpdateExpression=f"SET queueId = :q, accountId = :a, expiresAt = :e ADD {adds}",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_values(values),
            )

    def day(self, local_date: str, queue_id: str | None = None) -> list[dict[str, Any]]:
        """The tiles of a local day (every queue's, or one queue's), one item per queue and account."""
        return self._read(keys.tiles_day_partition(local_date), queue_id)

    def half_hour(self, start: str, queue_id: str | None = None) -> list[dict[str, Any]]:
        return self._read(keys.tiles_half_hour_partition(start), queue_id)

    def _read(self, partition: str, queue_id: str | None) -> list[dict[str, Any]]:
        # Strongly consistent: an update reads right after its own ADDs.
        if queue_id is None:
            items = self.table.query_all(None, "pk", partition, ConsistentRead=True)
        else:
            items = self.table.query_all(
                None,
                "pk",
                partition,
                sk_condition=" AND begins_with(sk, :prefix)",
                values={":prefix": keys.tile_sort_prefix(queue_id)},
                ConsistentRead=True,
            )
        # A queue id that is another's prefix up to a `#` ("a" and "a#b") is told apart by the stored id.
        return [item for item in items if queue_id is None or item.get("queueId") == queue_id]
