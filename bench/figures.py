"""What the benchmarks share: latency percentiles as printed rows, ISO stamps as epoch seconds, and DynamoDB's
write-unit arithmetic (item sizes as DynamoDB bills them)."""

from __future__ import annotations

import math
import statistics
from datetime import datetime
from typing import Any


def epoch(iso: str) -> float:
    """A stamp written by the functions (`2026-01-01T00:00:00.000Z`) as epoch seconds."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def report(label: str, latencies: list[float]) -> None:
    """One row: p50, p95 and max in milliseconds."""
    print(
        f"{label}: p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )


def attribute_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return math.ceil(len(str(data).lstrip("-").replace(".", "")) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in data.items())
    return len(str(data))


def item_kb(item: dict[str, Any]) -> int:
    size = sum(len(name.encode()) + attribute_size(value) for name, value in item.items())
    return max(1, math.ceil(size / 1024))


def write_units(operation: str, params: dict[str, Any]) -> float:
    """The write units one DynamoDB call bills (0 for reads): transactions cost twice; Update/Delete/ConditionCheck
    are billed on the item's size, and our keys-only items are ~1 KB."""
    if operation == "TransactWriteItems":
        units = 0.0
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            units += 2 * (item_kb(body["Item"]) if kind == "Put" else 1)
        return units
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return item_kb(params.get("Item", {})) if operation == "PutItem" else 1
    return 0.0


def in_process_environment(**extra: str) -> None:
    """The environment the functions read, for a benchmark that runs them in-process under moto (never AWS)."""
    import os

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "TABLE_NAME": "bench",
            "ARCHIVE_BUCKET": "bench-archive",
            "ADMIN_TOKEN": "test-admin-token",
            "BREAK_GLASS": "enabled",  # as the local stack: the static token sets the benches up (docs/identity.md)
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "Bench",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
