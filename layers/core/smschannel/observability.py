"""Logger, Tracer and Metrics, created once for every function (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# Only the AWS SDK at start: patching every library the X-Ray SDK knows (sqlite3, httplib, requests...) imports
# them all at cold start. `requests` is patched by the code that first sends through it (trace_requests).
tracer = Tracer(patch_modules=("botocore",))

metrics = Metrics(namespace="SmsChannel")


@cache
def trace_requests() -> None:
    """Trace calls to provider APIs (X-Ray subsegments); once per container, on first use of `requests`."""
    tracer.patch(modules=("requests",))
