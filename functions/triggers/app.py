"""The table stream's domain consumer: new replies onto the outbound FIFO queue, then triggers and queue
assignment per record (smschannel.domain_consumer: Powertools batch, partial failures); and the once-a-minute
queue timeout sweep."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.invocations import is_schedule
from smschannel.observability import consumer_handler

consumer = wiring.triggers_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        return consumer.sweep()
    return consumer.consume(event, context)
