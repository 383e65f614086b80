"""Replies to the customer: stored `queued` (the table is the source of truth), sent once through the provider
by functions/outbound from an SQS FIFO queue, with delivery status back on the message."""
