"""The fan-out on the table stream: interaction, message and agent changes pushed to the agents concerned and to
the subscribed supervisors, with the dashboard's counters kept on the way (smschannel.realtime.fanout_batch's
consumer: Powertools batch, partial failures); and once a minute, the queues' longest waits against their alerts."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.invocations import is_schedule
from smschannel.observability import consumer_handler

consumer = wiring.fanout_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if is_schedule(event):
        return consumer.sweep()  # once a minute: the longest waits against the queues' alerts
    return consumer.consume(event, context)
