"""The fan-out on the table stream: interaction, message and agent changes pushed to the agents concerned and to
the subscribed supervisors, with the dashboard's counters kept on the way (smschannel.realtime.fanout_batch's
consumer: Powertools batch, partial failures)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import consumer_handler

consumer = wiring.fanout_consumer()


@consumer_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return consumer.consume(event, context)
