"""The table stream's domain consumer: new replies onto the outbound FIFO queue, then triggers and queue
assignment per record (smschannel.domain_consumer: Powertools batch, partial failures); the wrap-up timers' SQS
messages (smschannel.floor.wrapup); and the once-a-minute sweep (wrap-ups past their time, queue timeouts)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.invocations import is_schedule, is_sqs
from smschannel.observability import consumer_handler

consumer = wiring.triggers_consumer()
timers = wiring.wrap_up_timer_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        return consumer.sweep()
    if is_sqs(event):
        return timers.consume(event, context)
    return consumer.consume(event, context)
