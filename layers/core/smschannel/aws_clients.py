"""Every AWS client but the table's (`smschannel.dynamo`) is created here, each on first use and not at import: an
invocation that never queues, archives, pushes a frame or asks a bot never pays for that client. The caller keeps
the client it asked for (and says how it is configured); the SQS client is one per container."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config


@cache
def sqs_client() -> Any:
    """One per container: the reply enqueuer and the callUrl dispatcher share it."""
    return boto3.client("sqs")


def s3_client(config: Config) -> Any:
    """For the webhook archive."""
    return boto3.client("s3", config=config)


def management_api_client(endpoint: str, config: Config) -> Any:
    """The API Gateway Management API of the WebSocket API at `endpoint`, for pushing frames to connections."""
    return boto3.client("apigatewaymanagementapi", endpoint_url=endpoint, config=config)


def lex_runtime_client(region: str | None, config: Config) -> Any:
    """Amazon Lex V2's runtime in `region` (the configured default when None), for a trigger's bot."""
    return boto3.client("lexv2-runtime", region_name=region, config=config)


@cache
def firehose_client() -> Any:
    """One per container: the domain consumer's report facts (smschannel.reports.facts)."""
    return boto3.client("firehose")


@cache
def athena_client() -> Any:
    """One per container: the admin API's reports (smschannel.reports.queries)."""
    return boto3.client("athena")


@cache
def sns_client() -> Any:
    """One per container: the fan-out's queue alerts (smschannel.realtime.alerts)."""
    return boto3.client("sns")


@cache
def bedrock_runtime_client() -> Any:
    """One per container: AI assist's Converse calls, bounded (smschannel.assist.model.CLIENT_CONFIG), with
    botocore's request and response bodies kept out of the logs even at DEBUG."""
    from smschannel.assist.model import CLIENT_CONFIG, quiet_request_logs

    quiet_request_logs()
    return boto3.client("bedrock-runtime", config=CLIENT_CONFIG)
