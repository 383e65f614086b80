"""The agents' floor in the table: transfers and wrap-up, each one transaction.

A transfer moves an open interaction and its unit of capacity at once: the receiving agent takes one unit only if
ready and below capacity, the giving agent gets one back, and the interaction changes hands only if it is still
open and the giver's, so however many transfers and assignments race, an interaction never has two agents and no
agent goes over capacity. The transcript's record of the transfer (a note) is written in the same transaction.

Wrap-up: a close by a person in a queue with `wrapUpSeconds` keeps the agent's unit (the agent's `wrapUps` set
names the interaction) until `finish_wrap_up` gives it back, once, when the agent submits or the time runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, cancellation_reasons, is_conditional_failure, is_conflict, to_item, to_values
from smschannel.models import Direction, Interaction, Message, MessageStatus
from smschannel.stores.configuration import release_agent_item


class TransferOutcome(StrEnum):
    DONE = "done"
    MOVED = "moved"  # closed, or no longer the giver's: read it again to say which
    TARGET_UNAVAILABLE = "target-unavailable"  # not ready, full or gone: read the target to say which
    CONFLICT = "conflict"  # a concurrent transaction on the same items: retry


@dataclass(frozen=True)
class Transfer:
    interaction: Interaction
    from_agent_id: str | None  # None: it was waiting (a supervisor's transfer)
    to_agent_id: str | None
    to_queue_id: str | None
    note: str | None
    by: str  # "agent:<id>", "supervisor", "admin", ...
    at: str
    note_message_id: str

    @property
    def record(self) -> dict[str, Any]:
        """The interaction's `lastTransfer` and the transcript note's `event`."""
        target = {"agentId": self.to_agent_id} if self.to_agent_id else {"queueId": self.to_queue_id}
        return {
            "type": "transferred",
            "from": {"agentId": self.from_agent_id, "queueId": self.interaction.queue_id},
            "to": target,
            "note": self.note,
            "by": self.by,
            "at": self.at,
        }


class FloorStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- transfer --------------------------------------------------------------------------------------------

    def transfer(self, transfer: Transfer) -> TransferOutcome:
        interaction, now = transfer.interaction, transfer.at
        values: dict[str, Any] = {":open": "open", ":t": transfer.record, ":one": 1, ":now": now}
        if transfer.from_agent_id:
            condition = "#s = :open AND agentId = :from"
            values[":from"] = transfer.from_agent_id
        else:
            condition = "#s = :open AND (attribute_not_exists(agentId) OR agentId = :null)"
            values[":null"] = None
        if transfer.to_agent_id:
            held = keys.agent_open_index(transfer.to_agent_id, interaction.id, now)
            update = (
                "SET agentId = :to, assignedAt = :now, firstAssignedAt = if_not_exists(firstAssignedAt, :now), "
                "queuePartition = :qp, queueSort = :qs, lastTransfer = :t ADD transfers :one "
                "REMOVE waitingSince, queueTimedOutAt, pendingEvent"
            )
            values |= {":to": transfer.to_agent_id, ":qp": held[keys.ROUTING_PARTITION], ":qs": held[keys.ROUTING_SORT]}
        else:
            # Out of the giver's hands into the queue: the routing consumer sees an open interaction without an
            # agent and routes it like an arrival, in its original arrival order (ahead of newer waiters).
            update = (
                "SET queueId = :q, lastTransfer = :t ADD transfers :one "
                "REMOVE agentId, assignedAt, queuePartition, queueSort, waitingSince, queueTimedOutAt, pendingEvent"
            )
            values[":q"] = transfer.to_queue_id
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": to_item(keys.interaction(interaction.id)),
                    "UpdateExpression": update,
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_values(values),
                }
            }
        ]
        if transfer.to_agent_id:
            items.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": to_item(keys.agent(transfer.to_agent_id)),
                        "UpdateExpression": "SET lastAssignedAt = :now ADD #l :one",
                        "ConditionExpression": "attribute_exists(pk) AND #s = :ready AND #l < #c",
                        "ExpressionAttributeNames": {"#l": "load", "#s": "status", "#c": "capacity"},
                        "ExpressionAttributeValues": to_values({":now": now, ":one": 1, ":ready": "ready"}),
                    }
                }
            )
        if transfer.from_agent_id:
            items.append(release_agent_item(self.table, transfer.from_agent_id, now))
        items.append({"Put": {"TableName": self.table.name, "Item": to_item(self._note_item(transfer))}})
        if transfer.to_agent_id and interaction.contact_id:
            # Routing's sticky agent: the agent the customer was last handed to.
            items.append(
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": to_item(keys.contact(interaction.contact_id)),
                        "UpdateExpression": "SET lastAgentId = :a, lastAssignedAt = :now",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": to_values({":a": transfer.to_agent_id, ":now": now}),
                    }
                }
            )
        try:
            self.table.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            if is_conditional_failure(reasons[0]):
                return TransferOutcome.MOVED
            if transfer.to_agent_id and is_conditional_failure(reasons[1]):
                return TransferOutcome.TARGET_UNAVAILABLE
            if any(is_conflict(reason) for reason in reasons):
                return TransferOutcome.CONFLICT
            if interaction.contact_id and is_conditional_failure(reasons[-1]):
                # The contact was deleted meanwhile: transfer without remembering the agent.
                return self.transfer(
                    Transfer(
                        **{**transfer.__dict__, "interaction": interaction.model_copy(update={"contact_id": None})}
                    )
                )
            raise
        return TransferOutcome.DONE

    def set_sticky_agent(self, contact_id: str, agent_id: str, now: str) -> None:
        """The contact's `lastAgentId` (routing's sticky agent), when the contact exists."""
        self.table.update_if(
            keys.contact(contact_id),
            "SET lastAgentId = :a, lastAssignedAt = :now",
            "attribute_exists(pk)",
            {":a": agent_id, ":now": now},
        )

    def _note_item(self, transfer: Transfer) -> dict[str, Any]:
        interaction = transfer.interaction
        target = f"agent {transfer.to_agent_id}" if transfer.to_agent_id else f"queue {transfer.to_queue_id}"
        giver = f"agent {transfer.from_agent_id}" if transfer.from_agent_id else f"queue {interaction.queue_id}"
        body = f"Transferred from {giver} to {target}" + (f": {transfer.note}" if transfer.note else "")
        note = Message(
            id=transfer.note_message_id,
            interaction_id=interaction.id,
            account_id=interaction.account_id,
            direction=Direction.NOTE,
            body=body,
            status=MessageStatus.RECEIVED,
            **{"from": transfer.by},
            to=transfer.to_agent_id or str(transfer.to_queue_id),
            created_at=transfer.at,
            sender=transfer.by,
            event=transfer.record,
        )
        return {
            **keys.message(interaction.id, transfer.at, transfer.note_message_id),
            "entity": "message",
            **note.to_json_dict(),
        }

    # --- wrap-up ---------------------------------------------------------------------------------------------

    def finish_wrap_up(
        self,
        interaction_id: str,
        agent_id: str,
        now: str,
        *,
        wrap_up_seconds: float,
        disposition: str | None,
        notes: str | None,
        expired: bool,
    ) -> bool:
        """Give the agent's unit back and record the wrap-up, once: False when it was already finished (submitted,
        or its time ran out) or the interaction is not this agent's wrap-up; nothing is written then."""
        sets = "wrapUpSeconds = :w, wrappedUpAt = :now, wrapUpExpired = :expired"
        values: dict[str, Any] = {
            ":w": round(wrap_up_seconds, 1),
            ":now": now,
            ":expired": expired,
            ":closed": "closed",
            ":a": agent_id,
        }
        if disposition is not None:
            sets += ", disposition = :d"
            values[":d"] = disposition
        if notes is not None:
            sets += ", wrapUpNotes = :notes"
            values[":notes"] = notes
        items = [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": to_item(keys.interaction(interaction_id)),
                    "UpdateExpression": f"SET {sets} REMOVE wrapUpUntil",
                    "ConditionExpression": "#s = :closed AND agentId = :a AND attribute_exists(wrapUpUntil)",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_values(values),
                }
            },
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": to_item(keys.agent(agent_id)),
                    "UpdateExpression": "SET #l = #l - :one, lastReleasedAt = :now DELETE wrapUps :ids",
                    "ConditionExpression": "contains(wrapUps, :id) AND #l > :zero",
                    "ExpressionAttributeNames": {"#l": "load"},
                    "ExpressionAttributeValues": to_values(
                        {":one": 1, ":zero": 0, ":now": now, ":ids": {interaction_id}, ":id": interaction_id}
                    ),
                }
            },
        ]
        try:
            self.table.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if cancellation_reasons(error):
                return False
            raise
        return True


def hold_for_wrap_up_item(table: Table, agent_id: str, interaction_id: str, now: str) -> dict[str, Any]:
    """The close transaction's item that keeps the agent's unit for the interaction's wrap-up (instead of
    `release_agent_item`)."""
    return {
        "Update": {
            "TableName": table.name,
            "Key": to_item(keys.agent(agent_id)),
            "UpdateExpression": "SET lastClosedAt = :now ADD wrapUps :ids",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": to_values({":now": now, ":ids": {interaction_id}}),
        }
    }
