"""Low-level DynamoDB plumbing shared by every store: the client, (de)serialization, cancellation reasons, and
`Table`, the one helper for plain item reads, writes and queries on the single table."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import BaseModel

from smschannel.models import utc_now

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Standard mode retries throttling and 5xx with backoff; transaction conflicts are retried by the stores,
# which knows whether a cancelled write may be retried as it is.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=50,
)


def make_client() -> Any:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, set):
        return sorted(_plain(item) for item in value)
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """Python dict → DynamoDB attribute map; None values are left out."""
    return {key: _serializer.serialize(value) for key, value in _clean(data).items()}


def to_values(data: dict[str, Any]) -> dict[str, Any]:
    """Expression attribute values (None kept as NULL, unlike items)."""
    return {key: _serializer.serialize(_clean(value) if value is not None else None) for key, value in data.items()}


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    return _plain({key: _deserializer.deserialize(value) for key, value in item.items()})


def cancellation_reasons(error: ClientError) -> list[dict[str, Any]]:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [dict(reason) for reason in error.response.get("CancellationReasons") or []]


def is_conditional_failure(reason: dict[str, Any]) -> bool:
    return reason.get("Code") == "ConditionalCheckFailed"


def is_conflict(reason: dict[str, Any]) -> bool:
    return reason.get("Code") in {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 0.2


def backoff(
    attempt: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> None:
    """Full-jitter pause before retry `attempt` + 1 (uniform up to min(cap, base * 2**attempt)): a cancelled
    transaction, a contended conditional write, or unprocessed keys."""
    time.sleep(min(cap, base * (2**attempt)) * (rng or random).random())


class Contended(Exception):
    """Raised by a write that met a concurrent one (a transaction conflict, or a condition a fresh read may now
    pass): `retry_on_conflict` runs it again."""


def retry_on_conflict[T](
    write: Callable[[], T],
    *,
    attempts: int,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> T:
    """`write()`'s result, running it again after a full-jitter `backoff` each time it raises `Contended`, at most
    `attempts` times in all; the last `Contended` propagates (the caller says what could not be written)."""
    assert attempts > 0
    for attempt in range(attempts - 1):
        try:
            return write()
        except Contended:
            backoff(attempt, base=base, cap=cap, rng=rng)
    return write()


class Table:
    """The single table: its name, one client per container, and the item operations every store shares.

    Stores (configuration, contacts, interactions, inbound_messages, routing, ...) hold one `Table` each, built once per
    container and shared, so a function keeps a single connection pool whatever stores it uses.
    """

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.name = table_name
        self.client = client or make_client()

    def get(self, key: dict[str, str], consistent: bool = True) -> dict[str, Any] | None:
        response = self.client.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=consistent)
        return from_item(response.get("Item"))

    def put_entity(
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
            TableName=self.name,
            Key=to_item(key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_OLD",
        )
        return not response.get("Attributes")

    def update_if(
        self,
        key: dict[str, str],
        update: str,
        condition: str,
        values: dict[str, Any] | None = None,
        names: dict[str, str] | None = None,
    ) -> bool:
        """One conditional UpdateItem; False when the condition did not hold (nothing written)."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_item(key),
            "UpdateExpression": update,
            "ConditionExpression": condition,
        }
        if values:
            params["ExpressionAttributeValues"] = to_values(values)
        if names:
            params["ExpressionAttributeNames"] = names
        try:
            self.client.update_item(**params)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, key: dict[str, str]) -> bool:
        response = self.client.delete_item(TableName=self.name, Key=to_item(key), ReturnValues="ALL_OLD")
        return bool(response.get("Attributes"))

    def query_all(
        self, index: str | None, key_name: str, key_value: str, *, limit: int | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Every item of one partition, or its first `limit` items (in key order; `ScanIndexForward=False` for
        the last), over as many pages as it takes; `sk_condition`, `names` and `values` extend the key condition
        (`#k = :k`), the other keyword arguments go to Query as they are."""
        items: list[dict[str, Any]] = []
        for page in self._pages(index, key_name, key_value, limit, kwargs):
            items.extend(item for item in (from_item(raw) for raw in page.get("Items", [])) if item)
        return items

    def count_all(self, index: str | None, key_name: str, key_value: str, **kwargs: Any) -> int:
        """How many items of one partition match (a Select=COUNT Query over every page); arguments as `query_all`."""
        return sum(int(page.get("Count", 0)) for page in self._pages(index, key_name, key_value, None, kwargs))

    def _pages(
        self, index: str | None, key_name: str, key_value: str, limit: int | None, kwargs: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#k = :k" + kwargs.pop("sk_condition", ""),
            "ExpressionAttributeNames": {"#k": key_name, **kwargs.pop("names", {})},
            "ExpressionAttributeValues": to_values({":k": key_value, **kwargs.pop("values", {})}),
            **kwargs,
        }
        if index:
            params["IndexName"] = index
        if limit is not None:
            params["PaginationConfig"] = {"MaxItems": limit, "PageSize": limit}
        # boto3's paginator follows LastEvaluatedKey (and stops at MaxItems).
        return iter(self.client.get_paginator("query").paginate(**params))

    def batch_get(self, item_keys: list[dict[str, str]], consistent: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(item_keys), 100):
            request: dict[str, Any] = {"Keys": [to_item(key) for key in item_keys[start : start + 100]]}
            if consistent:
                request["ConsistentRead"] = True
            pending: dict[str, Any] = {self.name: request}
            attempt = 0
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                found.extend(item for item in map(from_item, response["Responses"].get(self.name, [])) if item)
                pending = response.get("UnprocessedKeys") or {}
                if pending:
                    attempt += 1
                    backoff(attempt)
        return found
