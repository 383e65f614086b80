"""AI assist's summaries: the summary queue's messages (from the domain consumer on a close or a transfer, and from
`POST /admin/interactions/{id}/summary`), each an interaction's summary written from its redacted transcript by
Bedrock's Converse, retried a bounded number of times (smschannel.assist.summaries; docs/ai.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import consumer_handler

consumer = wiring.summary_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consumer.consume(event, context)
