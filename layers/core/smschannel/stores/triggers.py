"""Triggers' data access: trigger configuration, runs (with TTL, doubling as the firing claim), once markers,
the auto-reply rate windows, and the interaction writes trigger actions make. Keys come from `keys`."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, to_item, to_values
from smschannel.models import Interaction, Message, utc_now
from smschannel.stores.routing import RoutingIndex
from smschannel.triggers.model import ActionOutcome, Trigger, TriggerRun

RUN_TTL_DAYS = 14
ONCE_TTL_DAYS = 90
MAX_RUNS_LISTED = 100
# An interaction write by a trigger action needs the interaction open (a close racing it wins).
_OPEN = "#s = :open"
# Every interaction write of a trigger action adds one hop; past MAX_TRIGGER_HOPS its events are not evaluated.
_HOPS = "triggerHops"


class TriggerStore:
    def __init__(self, table: Table, run_ttl_days: int = RUN_TTL_DAYS) -> None:
        self.table = table
        self.table_name = table.name
        self.client = table.client
        self.routing = RoutingIndex(table)
        self.run_ttl_seconds = run_ttl_days * 86400

    # --- configuration -----------------------------------------------------------------------------------------

    def put_trigger(self, trigger: Trigger) -> bool:
        """Create or replace; True when created. `createdAt` survives updates."""
        key = keys.trigger(trigger.account_id, trigger.id)
        existing = self._get(key)
        data = trigger.model_dump(mode="json", by_alias=True)
        if existing:
            data["createdAt"] = existing.get("createdAt", data["createdAt"])
        data["updatedAt"] = utc_now()
        self.client.put_item(TableName=self.table_name, Item=to_item({**key, "entity": "trigger", **data}))
        return existing is None

    def get_trigger(self, account_id: str, trigger_id: str) -> Trigger | None:
        item = self._get(keys.trigger(account_id, trigger_id))
        return Trigger.model_validate(item) if item else None

    def list_triggers(self, account_id: str) -> list[Trigger]:
        items = self._with_prefix(keys.account(account_id)["pk"], keys.TRIGGER_PREFIX)
        return sorted((Trigger.model_validate(item) for item in items), key=lambda each: (each.priority, each.id))

    def delete_trigger(self, account_id: str, trigger_id: str) -> bool:
        response = self.client.delete_item(
            TableName=self.table_name, Key=to_item(keys.trigger(account_id, trigger_id)), ReturnValues="ALL_OLD"
        )
        return bool(response.get("Attributes"))

    # --- runs --------------------------------------------------------------------------------------------------

    def begin_run(self, run: TriggerRun, position: str) -> bool:
        """Claim the firing of `run.trigger_id` for this stream record. False when a previous delivery of the
        same record finished it; a delivery that crashed half-way left it `running` and is run again (each
        action is idempotent per event)."""
        key = keys.trigger_run(run.account_id, run.trigger_id, position, run.id)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item({**key, **self._run_item(run)}),
                ConditionExpression="attribute_not_exists(pk) OR outcome = :running",
                ExpressionAttributeValues=to_values({":running": "running"}),
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def finish_run(self, run: TriggerRun, position: str) -> None:
        key = keys.trigger_run(run.account_id, run.trigger_id, position, run.id)
        self.client.put_item(TableName=self.table_name, Item=to_item({**key, **self._run_item(run)}))

    def record_action_outcome(self, run_key: dict[str, str], index: int, outcome: ActionOutcome) -> None:
        """A deferred action (callUrl) reports back into its run; nothing happens when the run has expired."""
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=to_item(run_key),
                UpdateExpression=f"SET actions[{int(index)}] = :o",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_values({":o": outcome.to_json_dict()}),
            )
        except ClientError as error:
            if error_code(error) not in ("ConditionalCheckFailedException", "ValidationException"):
                raise

    def list_runs(self, account_id: str, trigger_id: str, limit: int = MAX_RUNS_LISTED) -> list[TriggerRun]:
        partition = keys.trigger_runs_partition(account_id, trigger_id)
        items = self.table.query_all(None, "pk", partition, limit=limit, ScanIndexForward=False)
        now = int(time.time())
        # TTL deletion lags expiry by up to days: expired runs are not shown.
        return [TriggerRun.model_validate(item) for item in items if int(item.get("expiresAt", now + 1)) > now]

    def _run_item(self, run: TriggerRun) -> dict[str, Any]:
        return {"entity": "triggerRun", "expiresAt": int(time.time()) + self.run_ttl_seconds, **run.to_json_dict()}

    # --- once per interaction, and the auto-reply rate limit ------------------------------------------------

    def claim_once(self, interaction_id: str, trigger_id: str, event_id: str) -> bool:
        """True for the first event of this trigger on this interaction (and for that same event again)."""
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item(
                    {
                        **keys.trigger_once(interaction_id, trigger_id),
                        "entity": "triggerOnce",
                        "eventId": event_id,
                        "expiresAt": int(time.time()) + ONCE_TTL_DAYS * 86400,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR eventId = :e",
                ExpressionAttributeValues=to_values({":e": event_id}),
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def take_auto_reply(self, account_id: str, phone: str, limit: int, window_seconds: int, event_id: str) -> bool:
        """One auto-reply from the phone's budget in the current fixed window; False when it is spent. The same
        event taking again (a redelivery) is not charged twice."""
        now = int(time.time())
        start = now - now % window_seconds
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=to_item(keys.auto_reply_window(account_id, phone, start)),
                UpdateExpression="SET entity = :e, expiresAt = :exp ADD sent :one, events :event",
                ConditionExpression="(attribute_not_exists(sent) OR sent < :limit) AND NOT contains(events, :id)",
                ExpressionAttributeValues={
                    **to_values({":e": "autoReplyWindow", ":exp": start + 2 * window_seconds, ":one": 1}),
                    ":limit": {"N": str(limit)},
                    ":event": {"SS": [event_id]},
                    ":id": {"S": event_id},
                },
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            current = self._get(keys.auto_reply_window(account_id, phone, start)) or {}
            return event_id in (current.get("events") or [])
        return True

    # --- the interaction -----------------------------------------------------------------------------------

    def get_interaction(self, interaction_id: str) -> Interaction | None:
        item = self._get(keys.interaction(interaction_id))
        return Interaction.model_validate(item) if item else None

    def first_message(self, interaction_id: str) -> Message | None:
        items = self._with_prefix(keys.interaction(interaction_id)["pk"], keys.MESSAGE_PREFIX, limit=1)
        return Message.model_validate(items[0]) if items else None

    def add_tags(self, interaction: Interaction, tags: list[str]) -> bool:
        merged = list(dict.fromkeys([*interaction.tags, *tags]))
        return self._update(interaction.id, "SET tags = :t ADD triggerHops :one", _OPEN, {":t": merged})

    def set_attributes(self, interaction: Interaction, attributes: dict[str, Any]) -> bool:
        merged = {**interaction.attributes, **attributes}
        return self._update(interaction.id, "SET attributes = :a ADD triggerHops :one", _OPEN, {":a": merged})

    def move_to_queue(self, interaction: Interaction, queue_id: str) -> bool:
        """Out of its agent's hands or its queue's waiting list, into `queue_id` (routed by the caller)."""
        return self.routing.reroute(interaction.id, interaction.agent_id, queue_id, utc_now(), count=_HOPS)

    def start_bot(self, interaction: Interaction, state: dict[str, Any]) -> bool:
        """Only an open interaction no agent has yet goes to a bot; it leaves its queue's waiting list."""
        return self.routing.hand_to_bot(interaction.id, state, count=_HOPS)

    def bot_turn(self, interaction_id: str, attributes: dict[str, Any]) -> bool:
        update = "SET bot.turns = bot.turns + :one" + (", attributes = :a" if attributes else "")
        values: dict[str, Any] = {":a": attributes} if attributes else {}
        return self._update(interaction_id, update, _OPEN + " AND attribute_exists(bot)", values)

    def end_bot(self, interaction_id: str, queue_id: str | None, reason: str) -> bool:
        """Hand-off: the bot lets go and the interaction waits for routing in `queue_id` (or its own)."""
        update = "SET botHandoff = :r" + (", queueId = :q" if queue_id else "") + " ADD triggerHops :one REMOVE bot"
        values: dict[str, Any] = {":r": reason, **({":q": queue_id} if queue_id else {})}
        return self._update(interaction_id, update, _OPEN + " AND attribute_exists(bot)", values)

    def count_ahead(self, queue_id: str, interaction_id: str, created_at: str) -> int:
        """How many wait in the queue ahead of this interaction (created before it, over every shard)."""
        return self.routing.count_waiting(queue_id, keys.routing_sort(created_at, interaction_id))

    # --- plumbing ------------------------------------------------------------------------------------------

    def _update(self, interaction_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        values = {":open": "open", ":one": 1, **values}
        return self.table.update_if(keys.interaction(interaction_id), update, condition, values, {"#s": "status"})

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        return self.table.get(key)

    def _with_prefix(self, partition: str, prefix: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.table.query_all(
            None,
            "pk",
            partition,
            limit=limit,
            sk_condition=" AND begins_with(sk, :prefix)",
            values={":prefix": prefix},
            ConsistentRead=True,
        )
