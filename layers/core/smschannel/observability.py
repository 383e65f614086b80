"""Logger, Tracer and Metrics, created once for every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

# What CloudWatch Logs already records for every line (its own timestamp; the function, whose log group it is), or
# what never changes in a function (its memory, the debug sampling rate): left out of every JSON line.
REDUNDANT_LOG_KEYS = ("timestamp", "function_name", "function_arn", "function_memory_size", "sampling_rate")


class CompactFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines without REDUNDANT_LOG_KEYS, and `cold_start` only when true: a message's lines stay
    near 300 bytes (tests/component/test_log_lines.py), and CloudWatch Logs bills its ingestion by the byte."""

    def serialize(self, log: LogRecord) -> str:
        fields = cast(dict[str, Any], log)
        for key in REDUNDANT_LOG_KEYS:
            fields.pop(key, None)
        if not fields.get("cold_start"):
            fields.pop("cold_start", None)
        return super().serialize(log)


logger = Logger(logger_formatter=CompactFormatter())
# Only the AWS SDK at start: patching every library the X-Ray SDK knows (sqlite3, httplib, requests...) imports
# them all at cold start. `requests` is patched by the code that first sends through it (trace_requests).
tracer = Tracer(patch_modules=("botocore",))

metrics = Metrics(namespace="SmsChannel")


@cache
def trace_requests() -> None:
    """Trace calls to provider APIs (X-Ray subsegments); once per container, on first use of `requests`."""
    tracer.patch(modules=("requests",))


def consumer_handler[H: Callable[..., Any]](handler: H) -> H:
    """The decorators of every stream and queue consumer's `lambda_handler`, outermost first: a warm-up event is
    answered before anything else, then the Lambda context is logged (never the event: it holds phone numbers),
    traced, and the metrics flushed."""
    from smschannel.warmup import answers_warmup

    traced = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    return cast(H, answers_warmup(logger.inject_lambda_context(log_event=False)(traced)))
