"""The supervisor dashboard's counters, kept by the fan-out as changes stream past (never recomputed by scanning).

Per queue: `open` and `answered`/`answeredInTarget` counters and a `waiting` map (interaction id -> waiting since:
its size is the queue's waiting count, its least value the longest wait; SET/REMOVE of one id is idempotent), and
the flag of each threshold alert raised on it (`alert<Name>`: set and removed by conditional writes, so an alert is
raised once while its condition holds, whichever fan-out container sees it). Per account: `open`. Per agent: the
time of its last status change. Recent messages in a feed partition with a TTL.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, from_item, to_item, to_values
from smschannel.realtime.changes import QueueDelta

FEED_TTL_SECONDS = 24 * 3600
FEED_SNAPSHOT_SIZE = 50


ALERTS = ("serviceLevelBelow", "longestWaitAbove")


def _alert_attribute(alert: str) -> str:
    return "alert" + alert[0].upper() + alert[1:]


def queue_state(item: dict[str, Any]) -> dict[str, Any]:
    waiting: dict[str, str] = item.get("waiting") or {}
    return {
        "id": keys.parse_dashboard_sort(str(item["sk"]))[1],
        "open": max(0, int(item.get("open", 0))),
        "waiting": len(waiting),
        "oldestWaitingSince": min(waiting.values()) if waiting else None,
        "answered": int(item.get("answered", 0)),
        "answeredInTarget": int(item.get("answeredInTarget", 0)),
        # alert -> what was raised ({raisedAt, threshold, value}), while it is
        "alerts": {alert: item[_alert_attribute(alert)] for alert in ALERTS if _alert_attribute(alert) in item},
    }


def account_state(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": keys.parse_dashboard_sort(str(item["sk"]))[1], "open": max(0, int(item.get("open", 0)))}


class DashboardStore:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.table_name = table.name
        self.client = table.client

    # --- written by the fan-out ----------------------------------------------------------------------------

    def apply_queue(self, queue_id: str, delta: QueueDelta) -> dict[str, Any]:
        """Apply one interaction's effect on its queue; the queue's counters after it."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {":o": delta.open, ":a": delta.answered, ":t": delta.answered_in_target}
        sets: list[str] = []
        removes: list[str] = []
        for position, (interaction_id, since) in enumerate(delta.waiting_add.items()):
            names[f"#w{position}"] = interaction_id
            values[f":w{position}"] = since
            sets.append(f"waiting.#w{position} = :w{position}")
        for position, interaction_id in enumerate(sorted(delta.waiting_remove)):
            names[f"#r{position}"] = interaction_id
            removes.append(f"waiting.#r{position}")
        expression = "ADD #open :o, answered :a, answeredInTarget :t"
        if sets:
            expression = "SET " + ", ".join(sets) + " " + expression
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        names["#open"] = "open"
        params = {
            "TableName": self.table_name,
            "Key": to_item(keys.dashboard_queue(queue_id)),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_values(values),
            "ReturnValues": "ALL_NEW",
        }
        try:
            response = self.client.update_item(**params)
        except ClientError as error:
            # The first change of a queue: its waiting map does not exist yet, and a path into it cannot be set.
            if error_code(error) != "ValidationException" or not (sets or removes):
                raise
            self._create_queue_item(queue_id)
            response = self.client.update_item(**params)
        return queue_state(from_item(response["Attributes"]) or {})

    def _create_queue_item(self, queue_id: str) -> None:
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item=to_item({**keys.dashboard_queue(queue_id), "waiting": {}, "open": 0, "answered": 0}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            # It exists: only its map is missing.
            self.client.update_item(
                TableName=self.table_name,
                Key=to_item(keys.dashboard_queue(queue_id)),
                UpdateExpression="SET waiting = if_not_exists(waiting, :m)",
                ExpressionAttributeValues=to_values({":m": {}}),
            )

    def raise_alert(self, queue_id: str, alert: str, raised: dict[str, Any]) -> bool:
        """Set the queue's alert flag unless it is set: True when this call raised it (and so must announce it)."""
        return self._flag(queue_id, alert, "SET #f = :r", "attribute_not_exists(#f)", {":r": raised})

    def clear_alert(self, queue_id: str, alert: str) -> bool:
        """Remove the flag if it is set: True when this call cleared it."""
        return self._flag(queue_id, alert, "REMOVE #f", "attribute_exists(#f)", None)

    def _flag(self, queue_id: str, alert: str, update: str, condition: str, values: dict[str, Any] | None) -> bool:
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": to_item(keys.dashboard_queue(queue_id)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#f": _alert_attribute(alert)},
        }
        if values:
            params["ExpressionAttributeValues"] = to_values(values)
        try:
            self.client.update_item(**params)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def apply_account(self, account_id: str, delta: int) -> dict[str, Any]:
        response = self.client.update_item(
            TableName=self.table_name,
            Key=to_item(keys.dashboard_account(account_id)),
            UpdateExpression="ADD #open :d",
            ExpressionAttributeNames={"#open": "open"},
            ExpressionAttributeValues=to_values({":d": delta}),
            ReturnValues="ALL_NEW",
        )
        return account_state(from_item(response["Attributes"]) or {})

    def agent_status_since(self, agent_id: str, status: str, since: str) -> None:
        self.client.put_item(
            TableName=self.table_name,
            Item=to_item({**keys.dashboard_agent(agent_id), "status": status, "statusSince": since}),
        )

    def add_to_feed(self, entry: dict[str, Any]) -> None:
        item = {
            **keys.feed_entry(str(entry["createdAt"]), str(entry["id"])),
            "entry": entry,
            "expiresAt": int(time.time()) + FEED_TTL_SECONDS,
        }
        self.client.put_item(TableName=self.table_name, Item=to_item(item))

    # --- read for a snapshot -------------------------------------------------------------------------------

    def counters(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, str]]:
        """(queue id -> counters, account id -> counters, agent id -> status since): one Query."""
        queues: dict[str, dict[str, Any]] = {}
        accounts: dict[str, dict[str, Any]] = {}
        since: dict[str, str] = {}
        for item in self.table.query_all(None, "pk", keys.DASHBOARD_PARTITION, ConsistentRead=True):
            kind, identifier = keys.parse_dashboard_sort(str(item["sk"]))
            if kind == keys.DASHBOARD_QUEUE:
                state = queue_state(item)
                queues[state["id"]] = state
            elif kind == keys.DASHBOARD_ACCOUNT:
                state = account_state(item)
                accounts[state["id"]] = state
            elif kind == keys.DASHBOARD_AGENT and item.get("statusSince"):
                since[identifier] = str(item["statusSince"])
        return queues, accounts, since

    def recent_feed(self, limit: int = FEED_SNAPSHOT_SIZE) -> list[dict[str, Any]]:
        items = self.table.query_all(None, "pk", keys.FEED_PARTITION, limit=limit, ScanIndexForward=False)
        entries = [item.get("entry") for item in items]
        return [entry for entry in reversed(entries) if entry]
