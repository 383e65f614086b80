"""The SQS client, created on first use and once per container: only the requests that queue work pay for it."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def sqs_client() -> Any:
    import boto3

    return boto3.client("sqs")
