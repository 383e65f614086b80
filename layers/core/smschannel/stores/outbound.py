"""Outbound messages in the table: the reply write, the claim that makes a send happen once, its outcome, the
outbox sweep's index and the per-account send-rate window (keys in `keys`, outbound section)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import (
    Table,
    backoff,
    error_code,
    from_item,
    to_item,
    to_values,
)
from smschannel.errors import Conflict, InteractionClosed, OptedOut
from smschannel.models import STATUS_RANK, Message, MessageStatus
from smschannel.timestamps import epoch_seconds

CLIENT_ID_TTL_SECONDS = 30 * 86400
# A pointer without its message, younger than this (above every function's timeout), may have a writer storing it.
REPLY_CLAIM_SECONDS = 90
REREAD_ATTEMPTS = 6
MAX_WRITE_ATTEMPTS = 8


@dataclass(frozen=True)
class OutboundRef:
    """What the queue carries: enough to read the message item (the table is the source of truth)."""

    message_id: str
    interaction_id: str
    sk: str

    def to_json_dict(self) -> dict[str, str]:
        return {"messageId": self.message_id, "interactionId": self.interaction_id, "sk": self.sk}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboundRef:
        return cls(str(data["messageId"]), str(data["interactionId"]), str(data["sk"]))

    @property
    def key(self) -> dict[str, str]:
        return {"pk": keys.interaction(self.interaction_id)["pk"], "sk": self.sk}


@dataclass(frozen=True)
class Claim:
    token: str
    message: Message


class OutboundStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- the reply ---------------------------------------------------------------------------------------------

    def add_reply(self, message: Message, phone: str, *, check_opt_out: bool = True) -> tuple[Message, bool]:
        """Store a `queued` reply once per (interaction, clientMessageId); returns (message, created).

        Three single-item writes, no transaction (DynamoDB bills a transactional write twice): the client id
        pointer, a conditional Put that is the duplicate guard (a retry finds the first message); the interaction's
        reply counter, a conditional UpdateItem that refuses a closed interaction (409) and that a close waits on
        (`InteractionStore.close_interaction`: no reply lands after the close); then the message with its outbox
        index entry. A strongly consistent read refuses an opted-out number first (422); a STOP that lands after
        it is caught by the send-time opt-out check (the reply is failed `opted-out`, never sent).
        """
        client_message_id = message.client_message_id
        assert client_message_id is not None
        pointer_key = keys.client_message(message.interaction_id, client_message_id)
        message_key = keys.message(message.interaction_id, message.created_at, message.id)
        try:
            self.table.client.put_item(
                TableName=self.table.name,
                Item=to_item(
                    {
                        **pointer_key,
                        "entity": "clientMessage",
                        "interactionId": message.interaction_id,
                        "messageId": message.id,
                        "messageSk": message_key["sk"],
                        "expiresAt": int(time.time()) + CLIENT_ID_TTL_SECONDS,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return self._by_client_id(message, phone, check_opt_out), False
        try:
            self._commit(message, phone, check_opt_out)
        except (InteractionClosed, OptedOut):
            self.table.delete(pointer_key)  # refused: the client may use the id again
            raise
        return self._put_message(message), True

    def _commit(self, message: Message, phone: str, check_opt_out: bool) -> None:
        """Refuse an opted-out number, then count the reply into the interaction while it is open."""
        if check_opt_out and self.table.get(keys.optout(message.account_id, phone)) is not None:
            raise OptedOut(f"{phone} opted out of this account's messages (STOP)", field="to")
        sender = message.sender or ""
        # The agent who answered, in the same write: the close makes it the customer's sticky agent.
        replied_by = ", lastRepliedBy = :by" if sender.startswith("agent:") else ""
        values = {":now": message.created_at, ":one": 1, ":open": "open"}
        if replied_by:
            values[":by"] = sender.removeprefix("agent:")
        if not self.table.update_if(
            keys.interaction(message.interaction_id),
            f"SET lastReplyAt = :now{replied_by} ADD replyCount :one",
            "#s = :open",
            values,
            names={"#s": "status"},
        ):
            raise InteractionClosed(f"interaction {message.interaction_id} is closed")

    def _put_message(self, message: Message) -> Message:
        """The reply's item (written once: a retry that carries on a dead writer's pointer finds it there)."""
        item = {
            **keys.message(message.interaction_id, message.created_at, message.id),
            **keys.outbox_index(message.id, message.created_at),
            "entity": "message",
            "statusRank": STATUS_RANK[MessageStatus.QUEUED],
            **message.to_json_dict(),
        }
        try:
            self.table.client.put_item(
                TableName=self.table.name, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            stored = self.table.get({"pk": item["pk"], "sk": item["sk"]})
            if stored is not None:
                return Message.model_validate(stored)
            raise
        return message

    def _by_client_id(self, message: Message, phone: str, check_opt_out: bool) -> Message:
        """The reply a retry's clientMessageId already names; stored by this retry when the first writer stopped
        between the pointer and the message (the same key, with the first one's time)."""
        interaction_id = message.interaction_id
        pointer = self.table.get(keys.client_message(interaction_id, message.client_message_id or ""))
        if pointer is None:  # refused or expired between the write and this read: vanishingly rare, but say so
            raise Conflict(f"clientMessageId {message.client_message_id!r} was just used; retry")
        key = {"pk": keys.interaction(interaction_id)["pk"], "sk": str(pointer["messageSk"])}
        created_at = key["sk"].removeprefix(keys.MESSAGE_PREFIX).rpartition("#")[0]
        young = epoch_seconds(created_at) > time.time() - REPLY_CLAIM_SECONDS
        for attempt in range(REREAD_ATTEMPTS if young else 1):
            item = self.table.get(key)
            if item is not None:
                return Message.model_validate(item)
            if young:
                backoff(attempt, base=0.02)
        if young:  # its first writer may still be storing it (a double click): never a second count
            raise Conflict(f"clientMessageId {message.client_message_id!r} is being stored; retry")
        first = message.model_copy(update={"created_at": created_at})
        self._commit(first, phone, check_opt_out)
        return self._put_message(first)

    # --- the send --------------------------------------------------------------------------------------------

    def get(self, ref: OutboundRef) -> dict[str, Any] | None:
        return self.table.get(ref.key)

    def claim(self, ref: OutboundRef, now: str) -> Claim | None:
        """Take the right to call the provider for this message; None when it is not `queued` or claimed."""
        token = uuid.uuid4().hex
        try:
            response = self.table.client.update_item(
                TableName=self.table.name,
                Key=to_item(ref.key),
                UpdateExpression="SET claimToken = :t, claimedAt = :now, claimedEpoch = :epoch ADD sendAttempts :one",
                ConditionExpression="#s = :queued AND attribute_not_exists(claimToken)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_values(
                    {":t": token, ":now": now, ":epoch": int(time.time()), ":one": 1, ":queued": "queued"}
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        item = from_item(response.get("Attributes")) or {}
        return Claim(token, Message.model_validate(item))

    def release(self, ref: OutboundRef, token: str, error: str) -> None:
        """Give a claim back after a send the provider certainly did not accept (to retry later)."""
        self._update(
            ref,
            "SET lastError = :e REMOVE claimToken, claimedAt, claimedEpoch",
            "claimToken = :t",
            {":e": error[:500], ":t": token},
        )

    def mark_sent(
        self,
        ref: OutboundRef,
        token: str,
        account_id: str,
        provider_message_id: str,
        now: str,
        *,
        poll_at: str | None = None,
    ) -> None:
        """The provider accepted it: `sent`, its id, and the pointer status callbacks find it by; it leaves the
        outbox index (for the poll entry at `poll_at` where the provider posts no receipts)."""
        pointer = keys.provider_message(account_id, provider_message_id)
        index = keys.poll_index(ref.message_id, poll_at) if poll_at else None
        values: dict[str, Any] = {
            ":p": provider_message_id,
            ":now": now,
            ":sent": "sent",
            ":rank": STATUS_RANK[MessageStatus.SENT],
            ":t": token,
        }
        index_update = "REMOVE outboxPartition, outboxSort"
        if index:
            index_update = "outboxPartition = :pp, outboxSort = :ps, pollAttempts = :zero"
            values.update({":pp": index[keys.OUTBOX_PARTITION], ":ps": index[keys.OUTBOX_SORT], ":zero": 0})
        # The pointer first, then `sent` (two single-item writes, not a transaction billed twice): a callback that
        # finds the pointer before `sent` is written may move the status on, and `sent` then leaves it there.
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item(
                {
                    **pointer,
                    "entity": "providerMessage",
                    "interactionId": ref.interaction_id,
                    "messageId": ref.message_id,
                    "messageSk": ref.sk,
                    "expiresAt": int(time.time()) + CLIENT_ID_TTL_SECONDS,
                }
            ),
        )
        update = "SET providerMessageId = :p, sentAt = :now" + (", " if index else " ") + index_update
        status = "SET providerMessageId = :p, sentAt = :now, statusAt = :now, #s = :sent, statusRank = :rank"
        if not self._update(
            ref,
            status + (", " if index else " ") + index_update,
            "claimToken = :t AND statusRank < :rank",
            values,
            names={"#s": "status"},
        ):
            moved_on = {key: value for key, value in values.items() if key not in (":sent", ":rank")}
            if not self.table.update_if(ref.key, update, "claimToken = :t", moved_on):
                raise Conflict(f"the claim on {ref.message_id} was lost before `sent` was written")

    def mark_failed(
        self, ref: OutboundRef, *, code: str, text: str, now: str, token: str | None = None, unclaimed: bool = False
    ) -> bool:
        """`failed` with the provider's (or our) error code and text; conditioned on holding the claim `token`,
        or on the message being still queued and unclaimed (`unclaimed`)."""
        condition = "claimToken = :t" if token else "#s = :queued AND attribute_not_exists(claimToken)"
        values: dict[str, Any] = {
            ":f": "failed",
            ":rank": STATUS_RANK[MessageStatus.FAILED],
            ":code": code,
            ":text": text[:500],
            ":now": now,
        }
        if token:
            values[":t"] = token
        else:
            assert unclaimed
            values[":queued"] = "queued"
        return self._update(
            ref,
            "SET #s = :f, statusRank = :rank, errorCode = :code, errorMessage = :text, statusAt = :now "
            "REMOVE outboxPartition, outboxSort",
            condition,
            values,
            names={"#s": "status"},
        )

    def _update(
        self,
        ref: OutboundRef,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        if not names and "#s" in condition:
            names = {"#s": "status"}
        return self.table.update_if(ref.key, update, condition, values, names)

    # --- the sweep and the send rate -----------------------------------------------------------------------

    def queued_before(self, cutoff: str) -> list[OutboundRef]:
        """Replies still `queued` that were created before `cutoff` (every outbox shard)."""
        refs: list[OutboundRef] = []
        for shard in range(keys.OUTBOX_SHARDS):
            items = self.table.query_all(
                keys.GSI4,
                keys.OUTBOX_PARTITION,
                keys.outbox_partition(shard),
                sk_condition=" AND #o < :cutoff",
                names={"#o": keys.OUTBOX_SORT},
                values={":cutoff": cutoff},
            )
            for item in items:
                interaction_id = keys.parse_interaction_pk(str(item["pk"]))
                _, message_id = keys.parse_outbox_sort(str(item[keys.OUTBOX_SORT]))
                refs.append(OutboundRef(message_id, interaction_id, str(item["sk"])))
        return refs

    def due_for_poll(self, now: str) -> list[dict[str, Any]]:
        """Sent messages whose provider posts no receipts and whose next status query is due (every shard)."""
        found: list[dict[str, Any]] = []
        for shard in range(keys.OUTBOX_SHARDS):
            entries = self.table.query_all(
                keys.GSI4,
                keys.OUTBOX_PARTITION,
                keys.poll_partition(shard),
                sk_condition=" AND #o <= :now",
                names={"#o": keys.OUTBOX_SORT},
                values={":now": now + "~"},
            )
            found += self.table.batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in entries], consistent=True)
        return found

    def reschedule_poll(self, key: dict[str, str], message_id: str, next_poll_at: str | None) -> None:
        """The next status query of a polled message, or none (final status, or too old to keep asking)."""
        if next_poll_at is None:
            update, values = "REMOVE outboxPartition, outboxSort", {}
        else:
            index = keys.poll_index(message_id, next_poll_at)
            update = "SET outboxPartition = :pp, outboxSort = :ps ADD pollAttempts :one"
            values = {":pp": index[keys.OUTBOX_PARTITION], ":ps": index[keys.OUTBOX_SORT], ":one": 1}
        params: dict[str, Any] = {"TableName": self.table.name, "Key": to_item(key), "UpdateExpression": update}
        if values:
            params["ExpressionAttributeValues"] = to_values(values)
        self.table.client.update_item(**params)

    def take_send_slot(self, account_id: str, per_second: int) -> bool:
        """One of the account's `per_second` sends in the current second (a counter item per second)."""
        second = int(time.time())
        return self.table.update_if(
            keys.send_rate(account_id, second),
            "SET expiresAt = :exp ADD sends :one",
            "attribute_not_exists(sends) OR sends < :limit",
            {":one": 1, ":limit": per_second, ":exp": second + 120},
        )
