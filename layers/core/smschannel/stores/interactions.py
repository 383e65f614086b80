"""Conversations: interactions, their messages and open sessions, closing, and delivery status of messages."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import (
    Contended,
    Table,
    cancellation_reasons,
    error_code,
    from_item,
    is_conditional_failure,
    is_conflict,
    retry_on_conflict,
    to_item,
    to_values,
)
from smschannel.errors import Conflict, InteractionClosed, NotFound
from smschannel.models import STATUS_RANK, Interaction, InteractionStatus, Message, StatusUpdate, utc_now
from smschannel.stores.configuration import release_agent_item
from smschannel.stores.floor import hold_for_wrap_up_item
from smschannel.timestamps import epoch_seconds, to_iso

MAX_WRITE_ATTEMPTS = 12
# A join (and a reply) writes the interaction's counter, then its message: a close waits for the message of every
# counted one, up to CLOSE_ATTEMPTS (a burst of joins keeps cancelling it), and at most CLOSE_SETTLED_SECONDS after
# the last for a writer that died in between (above every function's timeout: none is still running). An inbound
# retry takes over the pointer of a writer that claimed it more than JOIN_CLAIM_SECONDS ago (the inbound function
# times out at 15 s).
CLOSE_ATTEMPTS = 30
CLOSE_SETTLED_SECONDS = 120
JOIN_CLAIM_SECONDS = 30


def _settled(item: dict[str, Any], seconds: int) -> bool:
    """No join or reply of this interaction can still be running: the last began more than `seconds` ago."""
    last = max(str(item.get(name) or "") for name in ("lastInboundAt", "lastReplyAt")) or str(item.get("createdAt", ""))
    return bool(last) and epoch_seconds(last) < time.time() - seconds


def _handled(item: dict[str, Any], now: str, wrap_up_seconds: int) -> tuple[str, dict[str, Any]]:
    """What a close adds for an interaction an agent had: its handle time (first assigned to now) and, with a
    wrap-up, until when the agent's slot is held. (SET clauses, their values.)"""
    if not item.get("agentId"):
        return "", {}
    sets = ""
    values: dict[str, Any] = {}
    started = item.get("firstAssignedAt") or item.get("assignedAt")
    if started:
        sets += ", handleSeconds = :handle"
        values[":handle"] = round(max(0.0, epoch_seconds(now) - epoch_seconds(str(started))), 1)
    if wrap_up_seconds:
        sets += ", wrapUpUntil = :until"
        values[":until"] = to_iso(epoch_seconds(now) + wrap_up_seconds)
    return sets, values


class SessionCache:
    """Per-container memory of each phone's open interaction, so a joining message skips reading the session item.

    It is only a guess: the join is conditioned on the interaction still being open, and a stale entry costs
    one refused conditional write.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], str] = OrderedDict()

    def get(self, account_id: str, phone: str) -> str | None:
        key = (account_id, phone)
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, account_id: str, phone: str, interaction_id: str) -> None:
        self._entries[(account_id, phone)] = interaction_id
        self._entries.move_to_end((account_id, phone))
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, account_id: str, phone: str, interaction_id: str | None = None) -> None:
        if interaction_id is None or self._entries.get((account_id, phone)) == interaction_id:
            self._entries.pop((account_id, phone), None)


class InteractionStore:
    def __init__(self, table: Table, sessions: SessionCache | None = None) -> None:
        self.table = table
        self.sessions = sessions or SessionCache(10_000)

    def open_session_interaction(self, account_id: str, phone: str) -> str | None:
        """The phone's open interaction per its session item (one strongly consistent read)."""
        item = self.table.get(keys.session(account_id, phone))
        return item.get("interactionId") if item else None

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        item = self.table.get(keys.interaction(interaction_id))
        return Interaction.model_validate(item) if item else None

    def get_open_interaction(self, account_id: str, phone: str) -> Interaction | None:
        interaction_id = self.open_session_interaction(account_id, phone)
        return self.get_interaction(interaction_id) if interaction_id else None

    def list_messages(self, interaction_id: str) -> list[Message]:
        items = self.table.query_all(
            None,
            "pk",
            keys.interaction(interaction_id)["pk"],
            sk_condition=" AND begins_with(sk, :p)",
            values={":p": keys.MESSAGE_PREFIX},
            ConsistentRead=True,
        )
        return [Message.model_validate(item) for item in items]

    def list_interactions(
        self, account_id: str, status: str | None = None, phone: str | None = None
    ) -> list[Interaction]:
        if phone is not None:
            found = self.table.query_all(keys.GSI2, "gsi2pk", keys.phone_partition(account_id, phone))
        else:
            found = []
            for each_status in [status] if status else ["open", "closed"]:
                for shard in range(keys.INTERACTION_SHARDS):
                    partition = keys.interaction_partition(account_id, each_status, shard)
                    found += self.table.query_all(keys.GSI1, "gsi1pk", partition)
        interactions = [
            Interaction.model_validate(item)
            for item in self.table.batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in found])
        ]
        if status:
            interactions = [interaction for interaction in interactions if interaction.status == status]
        return sorted(interactions, key=lambda interaction: (interaction.created_at, interaction.id))

    def close_interaction(self, interaction_id: str, disposition: str | None, wrap_up_seconds: int = 0) -> Interaction:
        """Close as an agent does: the session item goes, so the phone's next SMS opens a new interaction.

        The assigned agent's load is released in the same transaction, conditioned on the agent read, so a
        close racing an assignment retries instead of leaking capacity; with `wrap_up_seconds`, the agent keeps
        that unit for the interaction's wrap-up instead (smschannel.stores.floor), until `wrapUpUntil`.
        """

        def write() -> Interaction:
            item = self.table.get(keys.interaction(interaction_id))
            if item is None:
                raise NotFound(f"interaction {interaction_id} not found")
            current = Interaction.model_validate(item)
            if current.status == InteractionStatus.CLOSED:
                raise InteractionClosed(f"interaction {interaction_id} is already closed")
            now = utc_now()
            # Every join and reply the counters hold has its message stored, else one is between its two writes:
            # wait for it (its message must not land after the close). A writer that died there leaves a counter
            # ahead; once none can still be running, the close sets the counters to what is stored.
            stored, replies = self.count_messages(interaction_id)
            counted_replies = int(item.get("replyCount", 0))
            behind = stored < current.message_count or replies < counted_replies
            if behind and not _settled(item, CLOSE_SETTLED_SECONDS):
                raise Contended
            index = keys.interaction_index(current.account_id, "closed", interaction_id, current.created_at)
            closing_sets, wrap_up_values = _handled(item, now, wrap_up_seconds)
            values: dict[str, Any] = {
                **wrap_up_values,
                ":closed": "closed",
                ":open": "open",
                ":now": now,
                ":d": disposition,
                ":g1": index["gsi1pk"],
                ":counted": current.message_count,
                ":stored": stored,
                ":replies": counted_replies,
                ":storedReplies": replies,
            }
            # No join or reply may commit between the count and the close: the counters are what was counted.
            condition = "#s = :open AND messageCount = :counted AND "
            condition += "(replyCount = :replies OR attribute_not_exists(replyCount)) AND "
            if current.agent_id:
                values[":agent"] = current.agent_id
                condition += "agentId = :agent"
            else:
                condition += "(attribute_not_exists(agentId) OR agentId = :null)"
                values[":null"] = None
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table.name,
                        "Key": to_item(keys.interaction(interaction_id)),
                        "UpdateExpression": "SET #s = :closed, closedAt = :now, disposition = :d, gsi1pk = :g1, "
                        f"messageCount = :stored, replyCount = :storedReplies{closing_sets} "
                        "REMOVE waitingSince, queuePartition, queueSort",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": to_values(values),
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table.name,
                        "Key": to_item(keys.session(current.account_id, current.phone)),
                        "ConditionExpression": "attribute_not_exists(pk) OR interactionId = :i",
                        "ExpressionAttributeValues": to_values({":i": interaction_id}),
                    }
                },
            ]
            if current.agent_id and wrap_up_seconds:
                items.append(hold_for_wrap_up_item(self.table, current.agent_id, interaction_id, now))
            elif current.agent_id:
                items.append(release_agent_item(self.table, current.agent_id, now))
            try:
                self.table.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = cancellation_reasons(error)
                if reasons and (is_conditional_failure(reasons[0]) or any(is_conflict(r) for r in reasons)):
                    raise Contended from error  # closed, joined or assigned meanwhile: read it again
                raise
            self.sessions.forget(current.account_id, current.phone, interaction_id)
            closed = self.get_interaction(interaction_id)
            assert closed is not None
            return closed

        try:
            return retry_on_conflict(write, attempts=CLOSE_ATTEMPTS)
        except Contended as error:
            raise Conflict(f"could not close interaction {interaction_id} (contention)") from error

    def count_messages(self, interaction_id: str) -> tuple[int, int]:
        """(customer messages, replies) the interaction holds: one strongly consistent Query of its messages'
        directions."""
        items = self.table.query_all(
            None,
            "pk",
            keys.interaction(interaction_id)["pk"],
            sk_condition=" AND begins_with(sk, :p)",
            names={"#d": "direction"},
            values={":p": keys.MESSAGE_PREFIX},
            ProjectionExpression="#d",
            ConsistentRead=True,
        )
        directions = [item.get("direction") for item in items]
        return directions.count("in"), directions.count("out")

    # --- the agent's reading ----------------------------------------------------------------------------------

    def mark_read(self, interaction_id: str, agent_id: str, now: str) -> None:
        """The assigned agent has read the interaction up to `now` (ConditionalCheckFailed if no longer theirs)."""
        self.table.client.update_item(
            TableName=self.table.name,
            Key=to_item(keys.interaction(interaction_id)),
            UpdateExpression="SET agentReadAt = :now",
            ConditionExpression="attribute_exists(pk) AND agentId = :a",
            ExpressionAttributeValues=to_values({":now": now, ":a": agent_id}),
        )

    def read_at(self, interaction_id: str) -> str:
        """When the agent last read the interaction; "" when never (sorts before every message)."""
        response = self.table.client.get_item(
            TableName=self.table.name,
            Key=to_item(keys.interaction(interaction_id)),
            ProjectionExpression="agentReadAt",
            ConsistentRead=True,
        )
        return str(response.get("Item", {}).get("agentReadAt", {}).get("S", ""))

    # --- delivery status ------------------------------------------------------------------------------------

    def record_status(self, account_id: str, update: StatusUpdate) -> Message | None:
        """Apply a status callback to the message it names; a status never moves backwards.

        Returns the updated message, or None when the message is unknown or the update is older than its status.
        """
        pointer = self.table.get(keys.provider_message(account_id, update.provider_message_id))
        if pointer is None:
            return None
        rank = STATUS_RANK[update.status]
        key = {"pk": keys.interaction(pointer["interactionId"])["pk"], "sk": pointer["messageSk"]}
        # A strongly consistent read (a fifth of a write's price) spares the write a callback that moves nothing
        # would cost: the provider's `sent` after our own, a late `sent` after `delivered`. The write stays
        # conditional, for a callback racing another.
        current = self.table.get(key)
        if current is None or int(current.get("statusRank", 0)) >= rank:
            return None
        try:
            response = self.table.client.update_item(
                TableName=self.table.name,
                Key=to_item(key),
                UpdateExpression="SET #s = :s, statusRank = :r, statusAt = :at, errorCode = :e",
                ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(statusRank) OR statusRank < :r)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_values(
                    {":s": update.status.value, ":r": rank, ":at": update.at, ":e": update.error_code}
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        item = from_item(response.get("Attributes"))
        return Message.model_validate(item) if item else None
