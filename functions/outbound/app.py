"""The sender: replies `queued` in the table reach the SQS FIFO queue (from the table stream through the triggers
function, the domain consumer; and from this function's sweep, which re-drives any whose enqueue was lost), and
leave through their provider once (smschannel.outbound.consumer: Powertools batch processing with partial
failures; a message that keeps failing goes to the dead-letter queue)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.invocations import is_schedule
from smschannel.observability import consumer_handler

consumer = wiring.outbound_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        return consumer.sweep()
    return consumer.consume(event, context)
