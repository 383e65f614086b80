"""Arrivals: the open-session write of customer messages (join or open, exactly once per provider message id)
and the parts of concatenated SMS."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, cast

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import (
    Table,
    backoff,
    cancellation_reasons,
    error_code,
    from_item,
    is_conditional_failure,
    is_conflict,
    to_item,
    to_values,
)
from smschannel.errors import Conflict, StoreInProgress
from smschannel.models import (
    STATUS_RANK,
    Account,
    Direction,
    InboundMessage,
    Interaction,
    Message,
    MessageStatus,
    utc_now,
)
from smschannel.stores.interactions import JOIN_CLAIM_SECONDS, MAX_WRITE_ATTEMPTS, InteractionStore


@dataclass(frozen=True)
class _Arrival:
    """One customer message on its way into the table."""

    account: Account
    inbound: InboundMessage
    phone: str
    to: str
    message_id: str
    created_at: str
    token: str  # this arrival's claim on the provider-id pointer


@dataclass(frozen=True)
class InboundOutcome:
    interaction_id: str
    message_id: str
    opened: bool  # this message opened a new interaction
    duplicate: bool  # a provider retry of a message already stored
    round_trips: int


class InboundMessageStore:
    def __init__(self, table: Table, interactions: InteractionStore, dedup_ttl_days: int = 30) -> None:
        self.table = table
        self.interactions = interactions
        self.sessions = interactions.sessions
        self.dedup_ttl_seconds = dedup_ttl_days * 86400

    # --- the open-session write ------------------------------------------------------------------------------

    def record_inbound(self, account: Account, inbound: InboundMessage, phone: str, to: str) -> InboundOutcome:
        """Store a customer's message in the phone's open interaction, opening one when none is open.

        No join is a transaction (DynamoDB bills a transactional write twice): first the provider-id pointer, a
        conditional Put that is the duplicate guard (a refused retry costs that one write unit), then the
        interaction's counter, a conditional UpdateItem that commits the join only while it is open, then the
        message. A close waits for every committed join's message (`InteractionStore.close_interaction`), so no
        message lands in an interaction after it closed. Opening is one transaction (session, interaction,
        contact, message) after the pointer. A container that does not know the phone reads its session first.
        Concurrent first messages: one open wins on the session item's condition, the others join it. A message
        racing a close either joins before the close commits or finds it closed and opens the next one.
        """
        arrival = _Arrival(
            account,
            inbound,
            phone,
            to,
            keys.inbound_message_id(account.id, inbound.provider_message_id),
            utc_now(),
            uuid.uuid4().hex,
        )
        guess = self.sessions.get(account.id, phone)
        round_trips = 0
        if guess is None:
            # One read (1 RRU) tells a container that has not seen this phone whether to join or to open; an
            # optimistic open that fails costs a cancelled four-item transaction instead (8 WCU), and at scale
            # most messages land on containers that have not seen their phone.
            guess = self.interactions.open_session_interaction(account.id, phone)
            round_trips += 1
        pointed: str | None = None  # the interaction this arrival's pointer names
        new_id = "int-" + uuid.uuid4().hex  # the interaction it opens, if it opens one (kept across attempts)
        # Not dynamo.retry_on_conflict: a failed condition switches between opening and joining at once, without a
        # pause, and only conflicts back off; the first burst (many webhooks of one phone at once) depends on it.
        for attempt in range(MAX_WRITE_ATTEMPTS):
            interaction_id = guess or new_id
            if pointed != interaction_id:
                duplicate, round_trips = self._point(arrival, interaction_id, round_trips)
                if duplicate is not None:
                    return duplicate
                pointed = interaction_id
            round_trips += 1
            if guess is None:
                try:
                    self.table.client.transact_write_items(TransactItems=self._open_items(arrival, interaction_id))
                except ClientError as error:
                    reasons = cancellation_reasons(error)
                    if reasons and is_conditional_failure(reasons[0]):
                        # Another message opened the session first: join it.
                        current = from_item(reasons[0].get("Item"))
                        guess = current.get("interactionId") if current else None
                        if guess is None:
                            guess = self.interactions.open_session_interaction(account.id, phone)
                            round_trips += 1
                        continue
                    if reasons and any(is_conflict(reason) for reason in reasons):
                        backoff(attempt)
                        continue
                    raise
                opened = True
            else:
                joined = self._join(arrival, interaction_id)
                if joined is None:
                    backoff(attempt)
                    continue
                if not joined:
                    # The guessed interaction is closed (or gone): open the next one.
                    self.sessions.forget(account.id, phone, guess)
                    guess = None
                    continue
                round_trips += 1
                opened = False
            self.sessions.put(account.id, phone, interaction_id)
            return InboundOutcome(
                interaction_id, arrival.message_id, opened=opened, duplicate=False, round_trips=round_trips
            )
        raise Conflict(f"could not store message after {MAX_WRITE_ATTEMPTS} attempts (contention)")

    def _point(self, arrival: _Arrival, interaction_id: str, round_trips: int) -> tuple[InboundOutcome | None, int]:
        """Make this arrival's pointer name `interaction_id`: (the outcome of a provider retry whose message is
        stored already, else None; the round trips so far)."""
        earlier = self._claim(arrival, interaction_id)
        if earlier is None:
            return None, round_trips + 1
        stored = self._stored_earlier(arrival, earlier, round_trips + 2)
        if stored is not None:
            return stored, round_trips + 2
        # Taken over from a writer that died before storing it: the pointer now names this arrival's.
        if self._claim(arrival, interaction_id) is not None:
            raise StoreInProgress(f"message {arrival.inbound.provider_message_id} is being stored; retry")
        return None, round_trips + 4

    def _claim(self, arrival: _Arrival, interaction_id: str) -> dict[str, Any] | None:
        """Write this arrival's provider-id pointer naming `interaction_id` (1 WCU); None when written, else the
        pointer an earlier arrival of the same provider message id wrote."""
        message_sk = keys.message(interaction_id, arrival.created_at, arrival.message_id)["sk"]
        try:
            self.table.client.put_item(
                TableName=self.table.name,
                Item=self._pointer_item(arrival, interaction_id, message_sk),
                ConditionExpression="attribute_not_exists(pk) OR claimToken = :mine",
                ExpressionAttributeValues=to_values({":mine": arrival.token}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            earlier = from_item(cast(dict[str, Any] | None, error.response.get("Item")))
            return (
                earlier
                or self.table.get(keys.provider_message(arrival.account.id, arrival.inbound.provider_message_id))
                or {}
            )
        return None

    def _stored_earlier(self, arrival: _Arrival, earlier: dict[str, Any], round_trips: int) -> InboundOutcome | None:
        """The outcome of a provider retry whose message is stored; None when this arrival took over the pointer of
        a writer that died before storing it (its claim older than any inbound invocation lasts)."""
        interaction_id, message_sk = str(earlier.get("interactionId", "")), str(earlier.get("messageSk", ""))
        if interaction_id and message_sk:
            stored = self.table.get({"pk": keys.interaction(interaction_id)["pk"], "sk": message_sk})
            if stored is not None:
                return InboundOutcome(
                    interaction_id=interaction_id,
                    message_id=str(earlier.get("messageId", "")),
                    opened=False,
                    duplicate=True,
                    round_trips=round_trips,
                )
        claimed = earlier.get("claimedEpoch")
        if claimed is not None and time.time() - float(claimed) < JOIN_CLAIM_SECONDS:
            # Its writer may still be storing it: the provider's next retry finds it stored, or taken over.
            raise StoreInProgress(f"message {arrival.inbound.provider_message_id} is being stored; retry")
        old = earlier.get("claimToken")
        taken = self.table.update_if(
            keys.provider_message(arrival.account.id, arrival.inbound.provider_message_id),
            "SET claimToken = :mine, claimedEpoch = :epoch",
            "claimToken = :old" if old else "attribute_exists(pk) AND attribute_not_exists(claimToken)",
            {":mine": arrival.token, ":epoch": int(time.time()), **({":old": old} if old else {})},
        )
        if not taken:
            raise StoreInProgress(f"message {arrival.inbound.provider_message_id} is being stored; retry")
        return None

    def _join(self, arrival: _Arrival, interaction_id: str) -> bool | None:
        """Count the message into the interaction while it is open, then write it (2 WCU); False when the
        interaction is closed or not this phone's, None on a conflict with a transaction (a close) on its item."""
        account, phone, created_at = arrival.account, arrival.phone, arrival.created_at
        try:
            self.table.client.update_item(
                TableName=self.table.name,
                Key=to_item(keys.interaction(interaction_id)),
                UpdateExpression="SET lastMessageAt = :now, lastInboundAt = :now ADD messageCount :one",
                ConditionExpression="#s = :open AND accountId = :a AND phone = :p",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_values(
                    {":now": created_at, ":one": 1, ":open": "open", ":a": account.id, ":p": phone}
                ),
            )
        except ClientError as error:
            code = error_code(error)
            if code == "ConditionalCheckFailedException":
                return False
            if code in ("TransactionConflictException", "ThrottlingException"):
                return None
            raise
        # Committed: the interaction counts it, and its close waits until this item is there.
        self.table.client.put_item(TableName=self.table.name, Item=to_item(self._message_item(arrival, interaction_id)))
        return True

    @staticmethod
    def _message_item(arrival: _Arrival, interaction_id: str) -> dict[str, Any]:
        inbound, created_at, message_id = arrival.inbound, arrival.created_at, arrival.message_id
        message = Message(
            id=message_id,
            interaction_id=interaction_id,
            account_id=arrival.account.id,
            direction=Direction.IN,
            body=inbound.body,
            media=[media.url for media in inbound.media],
            media_types=[media.content_type for media in inbound.media],
            status=MessageStatus.RECEIVED,
            provider_message_id=inbound.provider_message_id,
            **{"from": arrival.phone},
            to=arrival.to,
            created_at=created_at,
        )
        return {
            **keys.message(interaction_id, created_at, message_id),
            "entity": "message",
            "statusRank": STATUS_RANK[MessageStatus.RECEIVED],
            "receivedAt": inbound.received_at,
            **message.to_json_dict(),
        }

    def _pointer_item(self, arrival: _Arrival, interaction_id: str, message_sk: str) -> dict[str, Any]:
        """The provider-id pointer: the duplicate guard, what status callbacks and retries find the message by, and
        the claim (`claimToken`, `claimedEpoch`) of the arrival storing it."""
        return to_item(
            {
                **keys.provider_message(arrival.account.id, arrival.inbound.provider_message_id),
                "entity": "providerMessage",
                "interactionId": interaction_id,
                "messageId": arrival.message_id,
                "messageSk": message_sk,
                "claimToken": arrival.token,
                "claimedEpoch": int(time.time()),
                "expiresAt": int(time.time()) + self.dedup_ttl_seconds,
            }
        )

    def _open_items(self, arrival: _Arrival, interaction_id: str) -> list[dict[str, Any]]:
        account, phone, to, created_at = arrival.account, arrival.phone, arrival.to, arrival.created_at
        contact_id = keys.contact_id(account.id, phone)
        interaction = Interaction(
            id=interaction_id,
            account_id=account.id,
            phone=phone,
            to=to,
            provider=account.provider,
            queue_id=account.queue_id,
            contact_id=contact_id,
            created_at=created_at,
            last_message_at=created_at,
            message_count=1,
        )
        interaction_item = {
            **keys.interaction(interaction_id),
            **keys.interaction_index(account.id, "open", interaction_id, created_at),
            **keys.phone_index(account.id, phone, created_at),
            **keys.search_index(account.id, interaction_id, created_at),
            "entity": "interaction",
            "lastInboundAt": created_at,
            **interaction.to_json_dict(),
        }
        message = self._message_item(arrival, interaction_id)
        contact_index = keys.contact_index(account.id, phone)
        return [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item(
                        {
                            **keys.session(account.id, phone),
                            "entity": "session",
                            "interactionId": interaction_id,
                            "accountId": account.id,
                            "phone": phone,
                            "openedAt": created_at,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item(interaction_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                # Every new phone becomes a contact of the account; an existing contact is left as it is.
                "Update": {
                    "TableName": self.table.name,
                    "Key": to_item(keys.contact(contact_id)),
                    "UpdateExpression": (
                        "SET id = :id, accountId = :a, phone = :p, entity = :e, gsi1pk = :g1, gsi1sk = :g2, "
                        "createdAt = if_not_exists(createdAt, :now), updatedAt = if_not_exists(updatedAt, :now)"
                    ),
                    "ExpressionAttributeValues": to_values(
                        {
                            ":id": contact_id,
                            ":a": account.id,
                            ":p": phone,
                            ":e": "contact",
                            ":g1": contact_index["gsi1pk"],
                            ":g2": contact_index["gsi1sk"],
                            ":now": created_at,
                        }
                    ),
                }
            },
            {"Put": {"TableName": self.table.name, "Item": to_item(message)}},
        ]

    # --- concatenated SMS ----------------------------------------------------------------------------------

    def join_parts(self, account_id: str, phone: str, part: InboundMessage) -> InboundMessage | None:
        """Store one part; once every part of its message is stored, the whole message (else None).

        Each part is its own item (a retried part overwrites itself), so parts arriving concurrently and out of
        order all land. Every webhook that sees the set complete returns the same joined message with a
        provider id derived from the reference, so the open-session write stores it exactly once.
        """
        assert part.part is not None
        reference, number, total = part.part
        partition = keys.message_parts(account_id, phone, reference)
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item(
                {
                    "pk": partition,
                    "sk": keys.message_part_sort(number),
                    "entity": "messagePart",
                    "total": total,
                    "expiresAt": int(time.time()) + self.dedup_ttl_seconds,
                    **part.to_json_dict(),
                }
            ),
        )
        parts = self.table.query_all(None, "pk", partition, ConsistentRead=True)
        numbers = {int(item["part"][1]) for item in parts}
        if numbers != set(range(1, total + 1)):
            return None
        ordered = sorted((InboundMessage.model_validate(item) for item in parts), key=lambda each: each.part or ())
        return ordered[0].model_copy(
            update={
                "provider_message_id": f"{reference}:joined",
                "body": "".join(each.body for each in ordered),
                "media": [media for each in ordered for media in each.media],
                "part": None,
            }
        )
