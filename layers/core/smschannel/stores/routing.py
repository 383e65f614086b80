"""Routing's data access: agent snapshots, the sharded waiting lists, and the conditional assignment transaction.

Keys come from `keys` (routing section); configuration and contact reads go through their stores.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import (
    Table,
    cancellation_reasons,
    from_item,
    is_conditional_failure,
    is_conflict,
    to_item,
    to_values,
)
from smschannel.models import Agent, Contact, Interaction, Queue
from smschannel.stores.configuration import ConfigurationStore, take_from_agent
from smschannel.stores.contacts import ContactStore

# Condition shared by every write that needs the interaction open and unassigned (agentId absent or NULL).
# An interaction a bot holds (trigger action `bot`) is not routed until the bot hands off.
_OPEN_NO_AGENT = "#s = :open AND (attribute_not_exists(agentId) OR agentId = :null)"
_UNASSIGNED = _OPEN_NO_AGENT + " AND attribute_not_exists(bot)"
COUNT_WORKERS = 8


@dataclass(frozen=True)
class Routable:
    """An open interaction as routing needs it: from a stream image or from the routing index's projection."""

    id: str
    account_id: str
    queue_id: str
    created_at: str
    phone: str | None = None
    contact_id: str | None = None
    waiting_since: str | None = None
    timed_out_at: str | None = None

    def in_queue(self, queue_id: str) -> Routable:
        """The index entry's partition names the queue it waits in, whatever its projected queueId says."""
        return self if self.queue_id == queue_id else replace(self, queue_id=queue_id)

    @property
    def queue_sort(self) -> str:
        return keys.routing_sort(self.created_at, self.id)

    @classmethod
    def of(cls, interaction: Interaction) -> Routable:
        assert interaction.queue_id is not None
        return cls(
            id=interaction.id,
            account_id=interaction.account_id,
            queue_id=interaction.queue_id,
            created_at=interaction.created_at,
            phone=interaction.phone,
            contact_id=interaction.contact_id,
        )

    @classmethod
    def from_index(cls, item: dict[str, Any]) -> Routable:
        sort_time, interaction_id = keys.parse_routing_sort(str(item[keys.ROUTING_SORT]))
        return cls(
            id=interaction_id,
            account_id=str(item.get("accountId", "")),
            queue_id=str(item.get("queueId", "")),
            created_at=str(item.get("createdAt") or sort_time),
            phone=item.get("phone"),
            contact_id=item.get("contactId"),
            waiting_since=item.get("waitingSince"),
            timed_out_at=item.get("queueTimedOutAt"),
        )


class AssignOutcome(StrEnum):
    ASSIGNED = "assigned"
    AGENT_UNAVAILABLE = "agent-unavailable"  # not ready, at capacity, or gone: try the next agent
    INTERACTION_TAKEN = "interaction-taken"  # closed, already assigned, or gone: stop
    CONFLICT = "conflict"  # a concurrent transaction on the same items: retry


# The fields that put an interaction in its queue's waiting list (index gsi3): an interaction leaving the list
# removes all three.
WAITING_FIELDS = "queuePartition, queueSort, waitingSince"


class RoutingIndex:
    """The routing index (gsi3): each queue's sharded waiting list and each agent's open interactions, read by
    partition, and the writes that take an interaction out of routing's hands (a trigger's reroute, a bot).

    Built on the table alone, so the agent desk and the trigger engine use it without the rest of routing.
    """

    def __init__(self, table: Table) -> None:
        self.table = table

    def query(self, partition: str, limit: int | None = None, before: str | None = None) -> list[Routable]:
        """One partition's entries in sort order (the first `limit`; those sorting before `before`)."""
        items = self.table.query_all(keys.GSI3, keys.ROUTING_PARTITION, partition, limit=limit, **_before(before))
        return [Routable.from_index(item) for item in items]

    def oldest_waiting(self, queue_id: str, limit: int) -> list[Routable]:
        """The queue's `limit` oldest waiters in arrival order: the heads of every shard, merged."""
        heads = [self.query(keys.waiting_partition(queue_id, shard), limit) for shard in range(keys.WAITING_SHARDS)]
        merged = heapq.merge(*heads, key=lambda waiting: waiting.queue_sort)
        return [waiting for _, waiting in zip(range(limit), merged, strict=False)]

    def waiting_created_before(self, queue_id: str, cutoff: str) -> list[Routable]:
        """Waiters created before `cutoff` (a superset of those waiting in this queue since before it)."""
        found: list[Routable] = []
        for shard in range(keys.WAITING_SHARDS):
            found += self.query(keys.waiting_partition(queue_id, shard), before=cutoff)
        return sorted(found, key=lambda waiting: waiting.queue_sort)

    def open_of_agent(self, agent_id: str) -> list[Routable]:
        return self.query(keys.agent_open_partition(agent_id))

    def count_waiting(self, queue_id: str, before: str | None) -> int:
        """Waiters of the queue (ahead of the sort key `before`, when given), over every shard, the shards read
        side by side (the count is on the way to the customer's first reply)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=COUNT_WORKERS) as pool:
            return sum(pool.map(lambda shard: self._count_shard(queue_id, shard, before), range(keys.WAITING_SHARDS)))

    def _count_shard(self, queue_id: str, shard: int, before: str | None) -> int:
        partition = keys.waiting_partition(queue_id, shard)
        return self.table.count_all(keys.GSI3, keys.ROUTING_PARTITION, partition, Select="COUNT", **_before(before))

    def reroute(self, interaction_id: str, agent_id: str | None, queue_id: str, now: str, *, count: str) -> bool:
        """Out of its agent's hands (the agent's unit of capacity given back in the same write) or out of its
        queue's waiting list, into `queue_id`, where the caller routes it; the write adds one to the counter
        `count` (a trigger's hops). False when it was no longer open (and that agent's, or nobody's)."""
        if not agent_id:
            return _conditional_update(
                self.table,
                interaction_id,
                f"SET queueId = :q ADD {count} :one REMOVE {WAITING_FIELDS}",
                _OPEN_NO_AGENT,
                {":q": queue_id, ":one": 1},
            )
        return take_from_agent(
            self.table,
            interaction_id,
            agent_id,
            now,
            update=f"SET queueId = :q, rerouted = :now ADD {count} :one REMOVE agentId, assignedAt, {WAITING_FIELDS}",
            values={":q": queue_id, ":one": 1},
        )

    def hand_to_bot(self, interaction_id: str, state: dict[str, Any], *, count: str) -> bool:
        """Only an open interaction no agent or bot has yet goes to a bot; it leaves its queue's waiting list, and
        the write adds one to the counter `count`."""
        return _conditional_update(
            self.table,
            interaction_id,
            f"SET bot = :bot ADD {count} :one REMOVE {WAITING_FIELDS}",
            _UNASSIGNED,
            {":bot": state, ":one": 1},
        )


class RoutingStore:
    def __init__(self, table: Table, configuration: ConfigurationStore, contacts: ContactStore) -> None:
        self.table = table
        self.configuration = configuration
        self.contacts = contacts
        self.index = RoutingIndex(table)

    @property
    def client(self) -> Any:
        return self.table.client

    @property
    def table_name(self) -> str:
        return self.table.name

    # --- configuration and agents ----------------------------------------------------------------------------

    def get_queue(self, queue_id: str) -> Queue | None:
        return self.configuration.get_queue(queue_id)

    def list_queues(self) -> list[Queue]:
        return self.configuration.list_queues()

    def get_contact(self, contact_id: str) -> Contact | None:
        return self.contacts.get_contact(contact_id)

    def agents(self, agent_ids: list[str]) -> dict[str, Agent]:
        """Strongly consistent snapshot of the agents (load, capacity, status); unknown ids are left out."""
        unique = list(dict.fromkeys(agent_ids))
        items = self.table.batch_get([keys.agent(agent_id) for agent_id in unique], consistent=True)
        agents = (Agent.model_validate(item) for item in items)
        return {agent.id: agent for agent in agents}

    def pointer(self, queue_id: str) -> str | None:
        response = self.client.get_item(TableName=self.table_name, Key=to_item(keys.queue_pointer(queue_id)))
        item = from_item(response.get("Item")) or {}
        return item.get("lastAgentId")

    def save_pointer(self, queue_id: str, agent_id: str, at: str) -> None:
        """Advisory: last writer wins, written once per queue per batch (not per assignment) to keep it cool."""
        self.client.update_item(
            TableName=self.table_name,
            Key=to_item(keys.queue_pointer(queue_id)),
            UpdateExpression="SET entity = :e, queueId = :q, lastAgentId = :a, updatedAt = :at",
            ExpressionAttributeValues=to_values({":e": "queueRouting", ":q": queue_id, ":a": agent_id, ":at": at}),
        )

    # --- waiting lists ---------------------------------------------------------------------------------------

    def oldest_waiting(self, queue_id: str, limit: int) -> list[Routable]:
        return self.index.oldest_waiting(queue_id, limit)

    def waiting_created_before(self, queue_id: str, cutoff: str) -> list[Routable]:
        return self.index.waiting_created_before(queue_id, cutoff)

    def count_waiting(self, queue_id: str) -> int:
        return self.index.count_waiting(queue_id, None)

    def open_of_agent(self, agent_id: str) -> list[Routable]:
        return self.index.open_of_agent(agent_id)

    def enqueue(self, routable: Routable, now: str) -> bool:
        """Put an open, unassigned interaction in its queue's waiting list; False when it is there already or taken."""
        index = keys.waiting_index(routable.queue_id, routable.id, routable.created_at)
        return _conditional_update(
            self.table,
            routable.id,
            "SET queuePartition = :qp, queueSort = :qs, waitingSince = :now",
            _UNASSIGNED + " AND (attribute_not_exists(queuePartition) OR queuePartition <> :qp)",
            {":qp": index[keys.ROUTING_PARTITION], ":qs": index[keys.ROUTING_SORT], ":now": now},
        )

    def overflow(self, routable: Routable, to_queue_id: str, now: str) -> bool:
        """Move a waiter to another queue; it keeps its arrival order and its wait there starts now."""
        current = keys.waiting_index(routable.queue_id, routable.id, routable.created_at)
        moved = keys.waiting_index(to_queue_id, routable.id, routable.created_at)
        return _conditional_update(
            self.table,
            routable.id,
            "SET queueId = :to, queuePartition = :qp, queueSort = :qs, waitingSince = :now, overflowedFrom = :from "
            "REMOVE queueTimedOutAt",
            _UNASSIGNED + " AND queuePartition = :current",
            {
                ":to": to_queue_id,
                ":from": routable.queue_id,
                ":qp": moved[keys.ROUTING_PARTITION],
                ":qs": moved[keys.ROUTING_SORT],
                ":now": now,
                ":current": current[keys.ROUTING_PARTITION],
            },
        )

    def mark_timed_out(self, routable: Routable, now: str) -> bool:
        """Flag a waiter whose queue has no overflow: the trigger engine reacts to `queueTimedOutAt` appearing
        (event `queue.timeout`); it stays waiting in its place."""
        current = keys.waiting_index(routable.queue_id, routable.id, routable.created_at)
        return _conditional_update(
            self.table,
            routable.id,
            "SET queueTimedOutAt = :now, pendingEvent = :event",
            _UNASSIGNED + " AND queuePartition = :current AND attribute_not_exists(queueTimedOutAt)",
            {":now": now, ":event": "queue.timeout", ":current": current[keys.ROUTING_PARTITION]},
        )

    # --- assignment ------------------------------------------------------------------------------------------

    def assign(self, routable: Routable, agent_id: str, now: str, contact: Contact | None) -> AssignOutcome:
        """One TransactWriteItems: the agent takes one unit of load only if ready and below capacity, the
        interaction takes the agent only if open and unassigned, and the contact remembers the agent. However
        many handlers race, an agent never exceeds its capacity and an interaction never gets two agents."""
        held = keys.agent_open_index(agent_id, routable.id, now)
        interaction_sets = (
            "agentId = :a, assignedAt = :now, firstAssignedAt = if_not_exists(firstAssignedAt, :now), "
            "queuePartition = :qp, queueSort = :qs"
        )
        values: dict[str, Any] = {
            ":a": agent_id,
            ":now": now,
            ":qp": held[keys.ROUTING_PARTITION],
            ":qs": held[keys.ROUTING_SORT],
            ":open": "open",
            ":null": None,
        }
        if contact is not None and contact.name:
            interaction_sets += ", contactName = :cn"
            values[":cn"] = contact.name
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(keys.agent(agent_id)),
                    "UpdateExpression": "SET lastAssignedAt = :now ADD #l :one",
                    "ConditionExpression": "attribute_exists(pk) AND #s = :ready AND #l < #c",
                    "ExpressionAttributeNames": {"#l": "load", "#s": "status", "#c": "capacity"},
                    "ExpressionAttributeValues": to_values({":now": now, ":one": 1, ":ready": "ready"}),
                }
            },
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(keys.interaction(routable.id)),
                    "UpdateExpression": f"SET {interaction_sets} REMOVE waitingSince, queueTimedOutAt, pendingEvent",
                    "ConditionExpression": _UNASSIGNED,
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_values(values),
                }
            },
        ]
        if contact is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": to_item(keys.contact(contact.id)),
                        "UpdateExpression": "SET lastAgentId = :a, lastAssignedAt = :now",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": to_values({":a": agent_id, ":now": now}),
                    }
                }
            )
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            if is_conditional_failure(reasons[1]):
                return AssignOutcome.INTERACTION_TAKEN
            if is_conditional_failure(reasons[0]):
                return AssignOutcome.AGENT_UNAVAILABLE
            if len(reasons) > 2 and is_conditional_failure(reasons[2]):
                # The contact was deleted meanwhile: assign without remembering the agent.
                return self.assign(routable, agent_id, now, None)
            if any(is_conflict(reason) for reason in reasons):
                return AssignOutcome.CONFLICT
            raise
        return AssignOutcome.ASSIGNED

    def requeue(self, routable: Routable, agent_id: str, now: str) -> bool:
        """Take an open interaction back from an agent who became unavailable, releasing one unit of their load;
        it waits again in its queue at its original arrival position."""
        waiting = keys.waiting_index(routable.queue_id, routable.id, routable.created_at)
        return take_from_agent(
            self.table,
            routable.id,
            agent_id,
            now,
            update="SET queuePartition = :qp, queueSort = :qs, waitingSince = :now, requeuedFrom = :a "
            "REMOVE agentId, assignedAt",
            values={":qp": waiting[keys.ROUTING_PARTITION], ":qs": waiting[keys.ROUTING_SORT]},
        )


def _before(before: str | None) -> dict[str, Any]:
    """The sort key condition of a routing index query for the entries sorting before `before` (none: all)."""
    if not before:
        return {}
    return {"sk_condition": " AND #s < :before", "names": {"#s": keys.ROUTING_SORT}, "values": {":before": before}}


def _conditional_update(table: Table, interaction_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
    values = {":open": "open", ":null": None, **values}
    return table.update_if(keys.interaction(interaction_id), update, condition, values, {"#s": "status"})
