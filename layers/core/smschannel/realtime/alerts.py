"""Threshold alerts per queue (`alerts {serviceLevelBelow, longestWaitAbove}`, docs/reports.md "Alerts"): checked by
the fan-out whenever a queue's counters change, raised once while the condition holds.

Raising is a conditional write of the queue's alert flag (smschannel.stores.dashboard): the one writer that sets it
publishes the alert to the AlertsTopic (SNS) and pushes an `alert.raised` frame; while the flag is set nothing is
published again. A publish that fails removes the flag it set, so the next change tries again (never a flag without
its message). When the condition no longer holds the flag is removed and an `alert.cleared` frame pushed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smschannel.models import Queue
from smschannel.observability import logger
from smschannel.stores.dashboard import ALERTS, DashboardStore
from smschannel.timestamps import parse_iso, to_iso


@dataclass(frozen=True)
class Reading:
    """One alert of one queue now: its threshold, the value measured (None: nothing to measure), whether it holds."""

    alert: str
    threshold: float
    value: float | None

    @property
    def holds(self) -> bool:
        if self.value is None:
            return False
        return self.value < self.threshold if self.alert == "serviceLevelBelow" else self.value > self.threshold


def readings(queue: Queue, state: dict[str, Any] | None, tiles: dict[str, Any] | None, now: datetime) -> list[Reading]:
    """What can be measured now of the queue's configured alerts: the service level from the half hour's tile
    (when this batch changed it), the longest wait from the queue's counters (when this batch changed them)."""
    found = []
    if queue.alerts.service_level_below is not None and tiles is not None:
        level = tiles["halfHour"]["serviceLevel"]
        found.append(Reading("serviceLevelBelow", queue.alerts.service_level_below, level))
    if queue.alerts.longest_wait_above is not None and state is not None:
        since = state.get("oldestWaitingSince")
        wait = round((now - parse_iso(str(since))).total_seconds(), 1) if since else None
        found.append(Reading("longestWaitAbove", queue.alerts.longest_wait_above, wait))
    return found


class AlertPublisher:
    """The AlertsTopic (SNS): one message per alert raised, for ops to subscribe to (e-mail, SQS, a pager)."""

    def __init__(self, client: Callable[[], Any], topic_arn: str) -> None:
        self._client = client
        self.topic_arn = topic_arn

    def publish(self, frame: dict[str, Any]) -> None:
        subject = f"SMS queue {frame['queueName']}: {frame['alert']} {frame['threshold']} ({frame['value']})"
        self._client().publish(
            TopicArn=self.topic_arn,
            Subject=subject[:100],
            Message=json.dumps(frame, separators=(",", ":")),
            MessageAttributes={
                "alert": {"DataType": "String", "StringValue": str(frame["alert"])},
                "queueId": {"DataType": "String", "StringValue": str(frame["queueId"])},
            },
        )


class QueueAlerts:
    def __init__(self, dashboard: DashboardStore, publisher: AlertPublisher | None) -> None:
        self.dashboard = dashboard
        self.publisher = publisher

    def check(
        self,
        queue: Queue,
        state: dict[str, Any] | None,
        tiles: dict[str, Any] | None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The frames of the alerts this check raised or cleared (and `state["alerts"]` brought up to date)."""
        now = now or datetime.now(UTC)
        raised: dict[str, Any] = dict((state or {}).get("alerts") or {})
        configured = {reading.alert: reading for reading in readings(queue, state, tiles, now)}
        frames = []
        for alert in ALERTS:
            reading = configured.get(alert)
            if alert not in raised:
                frame = self._raise(queue, reading, now) if reading is not None and reading.holds else None
                if frame is not None:
                    raised[alert] = {key: frame[key] for key in ("raisedAt", "threshold", "value")}
                    frames.append(frame)
            # Raised: cleared once measured not to hold (or no longer configured); kept while not measured.
            elif not _configured(queue, alert) or (reading is not None and not reading.holds):
                if self.dashboard.clear_alert(queue.id, alert):
                    frames.append(_frame("alert.cleared", queue, alert, reading, now))
                raised.pop(alert, None)
        if state is not None:
            state["alerts"] = raised
        return frames

    def _raise(self, queue: Queue, reading: Reading, now: datetime) -> dict[str, Any] | None:
        frame = _frame("alert.raised", queue, reading.alert, reading, now)
        record = {"raisedAt": frame["raisedAt"], "threshold": reading.threshold, "value": reading.value}
        if not self.dashboard.raise_alert(queue.id, reading.alert, record):
            return None  # raised already (another container, an earlier batch): not announced twice
        if self.publisher is not None:
            try:
                self.publisher.publish(frame)
            except Exception:  # noqa: BLE001 - no flag without its message: the next change raises it again
                logger.exception("alert not published", extra={"queueId": queue.id, "alert": reading.alert})
                self.dashboard.clear_alert(queue.id, reading.alert)
                return None
        return frame


def _configured(queue: Queue, alert: str) -> bool:
    threshold = queue.alerts.service_level_below if alert == "serviceLevelBelow" else queue.alerts.longest_wait_above
    return threshold is not None


def _frame(kind: str, queue: Queue, alert: str, reading: Reading | None, now: datetime) -> dict[str, Any]:
    at = to_iso(now)
    frame: dict[str, Any] = {
        "type": kind,
        "queueId": queue.id,
        "queueName": queue.name,
        "alert": alert,
        "threshold": reading.threshold if reading else None,
        "value": reading.value if reading else None,
        "window": "halfHour" if alert == "serviceLevelBelow" else "now",
        "at": at,
    }
    if kind == "alert.raised":
        frame["raisedAt"] = at
    return frame
