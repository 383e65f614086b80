"""callUrl deliveries from the trigger engine's queue (SQS): each POSTed signed, with timeouts and retries; a
message still not delivered after the queue's receive limit goes to the dead-letter queue
(smschannel.triggers.callurl_queue's batch consumer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import consumer_handler

consumer = wiring.call_url_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consumer.consume(event, context)
