"""Low-level DynamoDB plumbing shared by the repository: the client, (de)serialization, cancellation reasons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Standard mode retries throttling and 5xx with backoff; transaction conflicts are retried by the repository,
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
