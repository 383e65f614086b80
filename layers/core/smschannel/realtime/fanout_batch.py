"""The fan-out function's batch consumer (smschannel.batch) around smschannel.realtime.fanout: apart from it, so
the realtime function (which shares fanout's public shapes) does not import the batch processor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from smschannel.batch import StreamConsumer
from smschannel.observability import metrics
from smschannel.realtime.fanout import Batch, FanOut
from smschannel.stream import StreamChange


class FanOutConsumer(StreamConsumer):
    """The fan-out function's batch: counters applied per record, the frames pushed once at the end. After a
    failed record every later one is held back (the retry starts at the failed one, so no counter is applied
    twice)."""

    def __init__(self, fanout: FanOut) -> None:
        super().__init__()
        self.fanout = fanout
        self.frames = Batch()

    def order_key(self, record: Any) -> str:
        return "batch"

    @contextmanager
    def batch(self, event: dict[str, Any]) -> Iterator[None]:
        self.frames = Batch()
        yield
        pushed = self.fanout.flush(self.frames)
        metrics.add_metric(name="FramesPushed", unit=MetricUnit.Count, value=pushed)

    def change(self, change: StreamChange) -> None:
        self.fanout.handle(change, self.frames)

    def sweep(self) -> dict[str, Any]:
        """The once-a-minute schedule: the queues' longest waits against their alerts."""
        return {"alerts": self.fanout.sweep_alerts()}
