"""What invoked a function that more than one source drives: a schedule, or an event source's batch."""

from __future__ import annotations

from typing import Any


def is_schedule(event: dict[str, Any]) -> bool:
    """An EventBridge schedule (template.yaml's `Schedule` events)."""
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"
