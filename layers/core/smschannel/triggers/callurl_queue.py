"""The CallUrl function's batch from the trigger engine's SQS queue: each delivery POSTed, signed, by CallUrlSender.

A delivery not made raises, so its message returns to the queue after its visibility timeout (the long backoff),
then to the dead-letter queue after the receive limit; the others of the batch are not held back (each is its own
POST, in no order).
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smschannel.batch import BatchConsumer
from smschannel.triggers.callurl import CallUrlDelivery, CallUrlSender


class CallUrlConsumer(BatchConsumer[SQSRecord]):
    event_type = EventType.SQS

    def __init__(self, sender: CallUrlSender) -> None:
        super().__init__()
        self.sender = sender

    def handle(self, record: SQSRecord) -> None:
        delivery = CallUrlDelivery.model_validate_json(record.body)
        self.sender.deliver(delivery, int(record.attributes.approximate_receive_count or 1))
