"""The only code that knows the table: reads and conditional writes of every item (keys in `keys`)."""

from __future__ import annotations

import random
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pydantic import BaseModel

from smschannel import keys
from smschannel.dynamo import (
    cancellation_reasons,
    error_code,
    from_item,
    is_conditional_failure,
    is_conflict,
    make_client,
    to_item,
    to_values,
)
from smschannel.errors import Conflict, InteractionClosed, NotFound
from smschannel.models import (
    STATUS_RANK,
    Account,
    Agent,
    Contact,
    Direction,
    InboundMessage,
    Interaction,
    InteractionStatus,
    Message,
    MessageStatus,
    Queue,
    StatusUpdate,
    Trigger,
    utc_now,
)

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_WRITE_ATTEMPTS = 12


@dataclass(frozen=True)
class _Arrival:
    """One customer message on its way into the table."""

    account: Account
    inbound: InboundMessage
    phone: str
    to: str
    message_id: str
    created_at: str


@dataclass(frozen=True)
class InboundOutcome:
    interaction_id: str
    message_id: str
    opened: bool  # this message opened a new interaction
    duplicate: bool  # a provider retry of a message already stored
    round_trips: int


class SessionCache:
    """Per-container memory of each phone's open interaction, so a joining message costs one round trip.

    It is only a guess: the join is conditioned on the interaction still being open, and a stale entry costs
    one cancelled transaction that returns the current state.
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


def _backoff(attempt: int) -> None:
    time.sleep(min(0.2, 0.005 * (2**attempt)) * random.random())


class Repository:
    def __init__(
        self, table_name: str, client: Any | None = None, session_cache_size: int = 10_000, dedup_ttl_days: int = 30
    ) -> None:
        self.table_name = table_name
        self.client = client or make_client()
        self.sessions = SessionCache(session_cache_size)
        self.dedup_ttl_seconds = dedup_ttl_days * 86400

    # --- generic item helpers --------------------------------------------------------------------------------

    def _get(self, key: dict[str, str], consistent: bool = True) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.table_name, Key=to_item(key), ConsistentRead=consistent)
        return from_item(response.get("Item"))

    def _put_entity(
        self,
        *,
        key: dict[str, str],
        index: dict[str, str],
        entity: str,
        model: BaseModel,
        exclude: set[str] | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> bool:
        """Create or replace a configuration item; True when it was created. `createdAt` survives updates."""
        data = model.model_dump(mode="json", by_alias=True, exclude=exclude)
        created_at = data.pop("createdAt", None) or utc_now()
        names = {"#e": "entity"}
        values: dict[str, Any] = {":e": entity, ":c": created_at}
        sets = ["#e = :e", "createdAt = if_not_exists(createdAt, :c)"]
        removes = []
        for position, (name, value) in enumerate((defaults or {}).items()):
            names[f"#d{position}"] = name
            values[f":d{position}"] = value
            sets.append(f"#d{position} = if_not_exists(#d{position}, :d{position})")
        for position, (name, value) in enumerate({**data, **index}.items()):
            names[f"#a{position}"] = name
            if value is None:
                removes.append(f"#a{position}")
            else:
                values[f":a{position}"] = value
                sets.append(f"#a{position} = :a{position}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        response = self.client.update_item(
            TableName=self.table_name,
            Key=to_item(key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_OLD",
        )
        return not response.get("Attributes")

    def _delete(self, key: dict[str, str]) -> bool:
        response = self.client.delete_item(TableName=self.table_name, Key=to_item(key), ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    def _query(self, index: str | None, key_name: str, key_value: str, **kwargs: Any) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#k = :k" + kwargs.pop("sk_condition", ""),
            "ExpressionAttributeNames": {"#k": key_name, **kwargs.pop("names", {})},
            "ExpressionAttributeValues": to_values({":k": key_value, **kwargs.pop("values", {})}),
            **kwargs,
        }
        if index:
            params["IndexName"] = index
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(**params)
            items.extend(item for item in (from_item(raw) for raw in response.get("Items", [])) if item)
            if "LastEvaluatedKey" not in response:
                return items
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _batch_get(self, item_keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(item_keys), 100):
            pending: dict[str, Any] = {
                self.table_name: {"Keys": [to_item(key) for key in item_keys[start : start + 100]]}
            }
            attempt = 0
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                found.extend(item for item in map(from_item, response["Responses"].get(self.table_name, [])) if item)
                pending = response.get("UnprocessedKeys") or {}
                if pending:
                    attempt += 1
                    _backoff(attempt)
        return found

    # --- configuration ---------------------------------------------------------------------------------------

    def put_account(self, account: Account) -> bool:
        return self._put_entity(
            key=keys.account(account.id), index=keys.account_index(account.id), entity="account", model=account
        )

    def get_account(self, account_id: str) -> Account | None:
        item = self._get(keys.account(account_id))
        return Account.model_validate(item) if item else None

    def list_accounts(self) -> list[Account]:
        return [Account.model_validate(item) for item in self._index_entities("ACCOUNTS")]

    def delete_account(self, account_id: str) -> bool:
        return self._delete(keys.account(account_id))

    def put_queue(self, queue: Queue) -> bool:
        return self._put_entity(key=keys.queue(queue.id), index=keys.queue_index(queue.id), entity="queue", model=queue)

    def get_queue(self, queue_id: str) -> Queue | None:
        item = self._get(keys.queue(queue_id))
        return Queue.model_validate(item) if item else None

    def list_queues(self) -> list[Queue]:
        return [Queue.model_validate(item) for item in self._index_entities("QUEUES")]

    def delete_queue(self, queue_id: str) -> bool:
        return self._delete(keys.queue(queue_id))

    def put_agent(self, agent: Agent) -> bool:
        # Load and last assignment belong to routing: an admin update keeps them.
        return self._put_entity(
            key=keys.agent(agent.id),
            index=keys.agent_index(agent.id),
            entity="agent",
            model=agent,
            exclude={"load", "last_assigned_at"},
            defaults={"load": 0},
        )

    def get_agent(self, agent_id: str) -> Agent | None:
        item = self._get(keys.agent(agent_id))
        return Agent.model_validate(item) if item else None

    def list_agents(self) -> list[Agent]:
        return [Agent.model_validate(item) for item in self._index_entities("AGENTS")]

    def delete_agent(self, agent_id: str) -> bool:
        return self._delete(keys.agent(agent_id))

    def put_trigger(self, trigger: Trigger) -> bool:
        return self._put_entity(
            key=keys.trigger(trigger.account_id, trigger.id), index={}, entity="trigger", model=trigger
        )

    def list_triggers(self, account_id: str) -> list[Trigger]:
        items = self._query(
            None,
            "pk",
            keys.account(account_id)["pk"],
            sk_condition=" AND begins_with(sk, :p)",
            values={":p": keys.TRIGGER_PREFIX},
        )
        return [Trigger.model_validate(item) for item in items]

    def delete_trigger(self, account_id: str, trigger_id: str) -> bool:
        return self._delete(keys.trigger(account_id, trigger_id))

    def _index_entities(self, partition: str) -> list[dict[str, Any]]:
        item_keys = [{"pk": item["pk"], "sk": item["sk"]} for item in self._query(keys.GSI1, "gsi1pk", partition)]
        return sorted(self._batch_get(item_keys), key=lambda item: str(item.get("id")))

    # --- contacts ----------------------------------------------------------------------------------------------

    def get_contact(self, contact_id: str) -> Contact | None:
        item = self._get(keys.contact(contact_id), consistent=False)
        return Contact.model_validate(item) if item else None

    def put_contact(self, contact: Contact) -> bool:
        return self._put_entity(
            key=keys.contact(contact.id),
            index=keys.contact_index(contact.account_id, contact.phone),
            entity="contact",
            model=contact,
        )

    def list_contacts(self, account_id: str, phone: str | None = None) -> list[Contact]:
        items: list[dict[str, Any]] = []
        for shard in range(keys.CONTACT_SHARDS):
            partition = keys.contact_partition(account_id, shard)
            if phone is not None:
                if shard != keys.shard_of(phone, keys.CONTACT_SHARDS):
                    continue
                items += self._query(
                    keys.GSI1, "gsi1pk", partition, sk_condition=" AND gsi1sk = :s", values={":s": phone}
                )
            else:
                items += self._query(keys.GSI1, "gsi1pk", partition)
        contacts = self._batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in items])
        return sorted((Contact.model_validate(item) for item in contacts), key=lambda contact: contact.phone)

    # --- the open-session write ------------------------------------------------------------------------------

    def record_inbound(self, account: Account, inbound: InboundMessage, phone: str, to: str) -> InboundOutcome:
        """Store a customer's message in the phone's open interaction, opening one when none is open.

        Joining costs one TransactWriteItems when this container knows the open interaction; otherwise a read of
        the phone's session item comes first (two round trips, to join or to open).
        Concurrent first messages: one open wins on the session item's condition, the others join it. A message
        racing a close either joins before the close commits or finds it closed and opens the next one.
        """
        arrival = _Arrival(
            account, inbound, phone, to, keys.inbound_message_id(account.id, inbound.provider_message_id), utc_now()
        )
        guess = self.sessions.get(account.id, phone)
        round_trips = 0
        if guess is None:
            # One read (1 RRU) tells a container that has not seen this phone whether to join or to open; an
            # optimistic open that fails costs a cancelled five-item transaction instead (10 WCU), and at scale
            # most messages land on containers that have not seen their phone.
            guess = self._open_session_interaction(account.id, phone)
            round_trips += 1
        for attempt in range(MAX_WRITE_ATTEMPTS):
            round_trips += 1
            if guess is None:
                interaction_id = "int-" + uuid.uuid4().hex
                items = self._open_items(arrival, interaction_id)
            else:
                interaction_id = guess
                items = self._join_items(arrival, interaction_id)
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = cancellation_reasons(error)
                if not reasons:
                    raise
                if is_conditional_failure(reasons[-1]):  # the provider message id is stored already
                    return self._duplicate(account.id, inbound.provider_message_id, round_trips)
                first = reasons[0]
                if is_conditional_failure(first):
                    current = from_item(first.get("Item"))
                    if guess is None:
                        # Another message opened the session first: join it.
                        guess = current.get("interactionId") if current else None
                        if guess is None:
                            guess = self._open_session_interaction(account.id, phone)
                            round_trips += 1
                    else:
                        # The guessed interaction is closed (or gone): open the next one.
                        self.sessions.forget(account.id, phone, guess)
                        guess = None
                    continue
                if any(is_conflict(reason) for reason in reasons):
                    _backoff(attempt)
                    continue
                raise
            self.sessions.put(account.id, phone, interaction_id)
            return InboundOutcome(
                interaction_id, arrival.message_id, opened=guess is None, duplicate=False, round_trips=round_trips
            )
        raise Conflict(f"could not store message after {MAX_WRITE_ATTEMPTS} attempts (contention)")

    def _open_session_interaction(self, account_id: str, phone: str) -> str | None:
        item = self._get(keys.session(account_id, phone))
        return item.get("interactionId") if item else None

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

    def _provider_message_put(self, arrival: _Arrival, interaction_id: str, message_sk: str) -> dict[str, Any]:
        account_id, provider_message_id = arrival.account.id, arrival.inbound.provider_message_id
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": to_item(
                    {
                        **keys.provider_message(account_id, provider_message_id),
                        "entity": "providerMessage",
                        "interactionId": interaction_id,
                        "messageId": arrival.message_id,
                        "messageSk": message_sk,
                        "expiresAt": int(time.time()) + self.dedup_ttl_seconds,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _join_items(self, arrival: _Arrival, interaction_id: str) -> list[dict[str, Any]]:
        account, phone, created_at = arrival.account, arrival.phone, arrival.created_at
        message = self._message_item(arrival, interaction_id)
        return [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": to_item(keys.interaction(interaction_id)),
                    "UpdateExpression": "SET lastMessageAt = :now, lastInboundAt = :now ADD messageCount :one",
                    "ConditionExpression": "#s = :open AND accountId = :a AND phone = :p",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_values(
                        {":now": created_at, ":one": 1, ":open": "open", ":a": account.id, ":p": phone}
                    ),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {"Put": {"TableName": self.table_name, "Item": to_item(message)}},
            self._provider_message_put(arrival, interaction_id, message["sk"]),
        ]

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
            "entity": "interaction",
            "lastInboundAt": created_at,
            **interaction.to_json_dict(),
        }
        message = self._message_item(arrival, interaction_id)
        contact_index = keys.contact_index(account.id, phone)
        return [
            {
                "Put": {
                    "TableName": self.table_name,
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
                    "TableName": self.table_name,
                    "Item": to_item(interaction_item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                # Every new phone becomes a contact of the account; an existing contact is left as it is.
                "Update": {
                    "TableName": self.table_name,
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
            {"Put": {"TableName": self.table_name, "Item": to_item(message)}},
            self._provider_message_put(arrival, interaction_id, message["sk"]),
        ]

    def _duplicate(self, account_id: str, provider_message_id: str, round_trips: int) -> InboundOutcome:
        pointer = self._get(keys.provider_message(account_id, provider_message_id)) or {}
        return InboundOutcome(
            interaction_id=str(pointer.get("interactionId", "")),
            message_id=str(pointer.get("messageId", "")),
            opened=False,
            duplicate=True,
            round_trips=round_trips + 1,
        )

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
        self.client.put_item(
            TableName=self.table_name,
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
        parts = self._query(None, "pk", partition, ConsistentRead=True)
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

    # --- interactions ------------------------------------------------------------------------------------------

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        item = self._get(keys.interaction(interaction_id))
        return Interaction.model_validate(item) if item else None

    def get_open_interaction(self, account_id: str, phone: str) -> Interaction | None:
        interaction_id = self._open_session_interaction(account_id, phone)
        return self.get_interaction(interaction_id) if interaction_id else None

    def list_messages(self, interaction_id: str) -> list[Message]:
        items = self._query(
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
            found = self._query(keys.GSI2, "gsi2pk", keys.phone_partition(account_id, phone))
        else:
            found = []
            for each_status in [status] if status else ["open", "closed"]:
                for shard in range(keys.INTERACTION_SHARDS):
                    partition = keys.interaction_partition(account_id, each_status, shard)
                    found += self._query(keys.GSI1, "gsi1pk", partition)
        interactions = [
            Interaction.model_validate(item)
            for item in self._batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in found])
        ]
        if status:
            interactions = [interaction for interaction in interactions if interaction.status == status]
        return sorted(interactions, key=lambda interaction: (interaction.created_at, interaction.id))

    def close_interaction(self, interaction_id: str, disposition: str | None) -> Interaction:
        """Close as an agent does: the session item goes, so the phone's next SMS opens a new interaction.

        The assigned agent's load is released in the same transaction, conditioned on the agent read, so a
        close racing an assignment retries instead of leaking capacity.
        """
        for attempt in range(MAX_WRITE_ATTEMPTS):
            current = self.get_interaction(interaction_id)
            if current is None:
                raise NotFound(f"interaction {interaction_id} not found")
            if current.status == InteractionStatus.CLOSED:
                raise InteractionClosed(f"interaction {interaction_id} is already closed")
            now = utc_now()
            index = keys.interaction_index(current.account_id, "closed", interaction_id, current.created_at)
            values: dict[str, Any] = {
                ":closed": "closed",
                ":open": "open",
                ":now": now,
                ":d": disposition,
                ":g1": index["gsi1pk"],
            }
            condition = "#s = :open AND "
            if current.agent_id:
                values[":agent"] = current.agent_id
                condition += "agentId = :agent"
            else:
                condition += "(attribute_not_exists(agentId) OR agentId = :null)"
                values[":null"] = None
            items: list[dict[str, Any]] = [
                {
                    "Update": {
                        "TableName": self.table_name,
                        "Key": to_item(keys.interaction(interaction_id)),
                        "UpdateExpression": "SET #s = :closed, closedAt = :now, disposition = :d, gsi1pk = :g1 "
                        "REMOVE waitingSince, queuePartition, queueSort",
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": to_values(values),
                    }
                },
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": to_item(keys.session(current.account_id, current.phone)),
                        "ConditionExpression": "attribute_not_exists(pk) OR interactionId = :i",
                        "ExpressionAttributeValues": to_values({":i": interaction_id}),
                    }
                },
            ]
            if current.agent_id:
                items.append(self.release_agent_item(current.agent_id, now))
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                reasons = cancellation_reasons(error)
                if reasons and (is_conditional_failure(reasons[0]) or any(is_conflict(r) for r in reasons)):
                    _backoff(attempt)
                    continue
                raise
            self.sessions.forget(current.account_id, current.phone, interaction_id)
            closed = self.get_interaction(interaction_id)
            assert closed is not None
            return closed
        raise Conflict(f"could not close interaction {interaction_id} (contention)")

    def release_agent_item(self, agent_id: str, now: str) -> dict[str, Any]:
        """The transaction item giving one unit of an agent's capacity back (close, requeue)."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": to_item(keys.agent(agent_id)),
                "UpdateExpression": "SET #l = #l - :one, lastReleasedAt = :now",
                "ConditionExpression": "attribute_exists(pk) AND #l > :zero",
                "ExpressionAttributeNames": {"#l": "load"},
                "ExpressionAttributeValues": to_values({":one": 1, ":zero": 0, ":now": now}),
            }
        }

    # --- delivery status ------------------------------------------------------------------------------------

    def record_status(self, account_id: str, update: StatusUpdate) -> Message | None:
        """Apply a status callback to the message it names; a status never moves backwards.

        Returns the updated message, or None when the message is unknown or the update is older than its status.
        """
        pointer = self._get(keys.provider_message(account_id, update.provider_message_id))
        if pointer is None:
            return None
        rank = STATUS_RANK[update.status]
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=to_item({"pk": keys.interaction(pointer["interactionId"])["pk"], "sk": pointer["messageSk"]}),
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
