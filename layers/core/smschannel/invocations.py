"""What invoked a function that more than one source drives: a schedule, or an event source's batch."""

from __future__ import annotations

from typing import Any


def is_schedule(event: dict[str, Any]) -> bool:
    """An EventBridge schedule (template.yaml's `Schedule` events)."""
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def is_sqs(event: dict[str, Any]) -> bool:
    """An SQS event source's batch."""
    records = event.get("Records") or []
    return bool(records) and isinstance(records[0], dict) and records[0].get("eventSource") == "aws:sqs"
