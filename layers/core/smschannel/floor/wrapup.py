"""Wrap-up (after-contact work): dispositions per queue, and the agent's slot held after a close.

A person's close (an agent on the WebSocket, a supervisor or an admin through the API) in a queue with
`wrapUpSeconds` keeps the agent's unit of capacity for that long: routing gives that agent nothing new on it until
the agent submits the wrap-up (`submitWrapUp`) or the time runs out. The timer is a delayed SQS message sent by the
domain consumer when it sees the close (`WrapUpTimers`), consumed by the same function (`WrapUpTimerConsumer`);
the once-a-minute sweep finishes any wrap-up past its time whose message was lost. Finishing is one conditional
transaction (smschannel.stores.floor): a submit racing the timer gives the unit back once.

Recorded on the interaction for reports: `handleSeconds` (first assigned → closed) and `wrapUpSeconds` (closed →
submitted, or the configured time when it ran out, with `wrapUpExpired`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smschannel.batch import BatchConsumer
from smschannel.errors import Conflict, InteractionClosed, InvalidConfiguration, NotFound
from smschannel.models import Interaction, InteractionStatus, Queue, utc_now
from smschannel.observability import logger
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.floor import FloorStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stream import StreamChange
from smschannel.timestamps import epoch_seconds

NOTES_MAX = 2000
MAX_DELAY_SECONDS = 900  # SQS's per-message delay bound, and QueueIn.wrapUpSeconds'


class WrapUpService:
    def __init__(self, configuration: ConfigurationStore, interactions: InteractionStore, floor: FloorStore) -> None:
        self.configuration = configuration
        self.interactions = interactions
        self.floor = floor

    def close(self, interaction: Interaction, disposition: str | None) -> Interaction:
        """A person's close: the disposition checked against the queue's list, the agent's slot kept for the
        queue's wrap-up time (none without an agent)."""
        queue = self._queue(interaction)
        wrap_up = queue.wrap_up_seconds if queue is not None and interaction.agent_id else 0
        check_disposition(queue, disposition, required=not wrap_up)
        closed = self.interactions.close_interaction(interaction.id, disposition, wrap_up)
        # Routing's sticky agent follows the last agent who answered: the holder was set at assignment or
        # transfer, so only a close by someone who did not answer last writes the contact (one write, rarely).
        replied = interaction.last_replied_by
        if replied and replied != interaction.agent_id and interaction.contact_id:
            self.floor.set_sticky_agent(interaction.contact_id, replied, utc_now())
        return closed

    def submit(self, interaction_id: str, disposition: str | None, notes: str | None, owner: str | None) -> Interaction:
        """`submitWrapUp`: the agent's slot comes back now. `owner`: the agent who must have closed it (None: a
        supervisor or an admin finishing it for them)."""
        if notes is not None and len(notes) > NOTES_MAX:
            raise InvalidConfiguration(f"wrap-up notes have at most {NOTES_MAX} characters", field="notes")
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"interaction {interaction_id} not found", field="interactionId")
        if interaction.status != InteractionStatus.CLOSED:
            raise Conflict(f"interaction {interaction_id} is still open: close it first", field="interactionId")
        if owner is not None and interaction.agent_id != owner:
            raise Conflict(f"interaction {interaction_id} was not closed by you", field="interactionId")
        if not interaction.wrap_up_until or not interaction.agent_id:
            raise InteractionClosed(f"interaction {interaction_id} has no wrap-up pending", field="interactionId")
        queue = self._queue(interaction)
        check_disposition(queue, disposition or interaction.disposition, required=True)
        now = utc_now()
        if not self._finish(interaction, now, now, disposition, notes):
            raise InteractionClosed(f"the wrap-up of {interaction_id} is already finished", field="interactionId")
        finished = self.interactions.get_interaction(interaction_id)
        assert finished is not None
        return finished

    def expire(self, interaction_id: str) -> bool:
        """The wrap-up's time ran out: the slot comes back with the configured time recorded. False when it was
        finished already (submitted), is not due yet, or is no wrap-up."""
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None or not interaction.wrap_up_until or not interaction.agent_id:
            return False
        now = utc_now()
        if epoch_seconds(interaction.wrap_up_until) > epoch_seconds(now) + 1:
            return False
        done = self._finish(interaction, now, interaction.wrap_up_until, None, None)
        if done:
            logger.info("wrap-up ran out", extra={"interactionId": interaction.id, "agentId": interaction.agent_id})
        return done

    def sweep(self) -> int:
        """Every wrap-up past its time (a lost timer): finished. Reads the agents (one query) and the wrap-ups."""
        finished = 0
        for agent in self.configuration.list_agents():
            for interaction_id in agent.wrap_ups:
                if self.expire(interaction_id):
                    finished += 1
        return finished

    def _finish(
        self, interaction: Interaction, now: str, ended: str, disposition: str | None, notes: str | None
    ) -> bool:
        """Give the slot back once, recording the wrap-up as closed → `ended` (now, or when its time ran out)."""
        assert interaction.agent_id is not None
        seconds = epoch_seconds(ended) - epoch_seconds(interaction.closed_at or now)
        return self.floor.finish_wrap_up(
            interaction.id,
            interaction.agent_id,
            now,
            wrap_up_seconds=max(0.0, seconds),
            disposition=disposition,
            notes=notes,
            expired=ended != now,
        )

    def _queue(self, interaction: Interaction) -> Queue | None:
        return self.configuration.get_queue(interaction.queue_id) if interaction.queue_id else None


def check_disposition(queue: Queue | None, disposition: str | None, *, required: bool) -> None:
    """422 naming `disposition` when it is not one of the queue's, or missing where the queue requires one."""
    if queue is None:
        return
    if disposition and queue.dispositions and disposition not in queue.dispositions:
        raise InvalidConfiguration(
            f"disposition must be one of {queue.dispositions} (queue {queue.id})", field="disposition"
        )
    if required and queue.disposition_required and not disposition:
        raise InvalidConfiguration(f"queue {queue.id} requires a disposition", field="disposition")


def wrap_up_started(change: StreamChange) -> tuple[str, str] | None:
    """(interaction id, until) when this change is a close that started a wrap-up."""
    new, old = change.new or {}, change.old or {}
    if new.get("entity") != "interaction" or not new.get("wrapUpUntil") or old.get("wrapUpUntil"):
        return None
    return str(new["id"]), str(new["wrapUpUntil"])


class WrapUpTimers:
    """Sends each started wrap-up's timer: an SQS message delayed until its time runs out."""

    def __init__(self, sqs: Any, queue_url: str | None) -> None:
        self.sqs = sqs
        self.queue_url = queue_url

    def on_change(self, change: StreamChange) -> None:
        started = wrap_up_started(change)
        if started is None or not self.queue_url:
            return
        interaction_id, until = started
        delay = min(MAX_DELAY_SECONDS, max(0, math.ceil(epoch_seconds(until) - epoch_seconds(utc_now()))))
        self.sqs.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps({"interactionId": interaction_id, "until": until}),
            DelaySeconds=delay,
        )


class WrapUpTimerConsumer(BatchConsumer[SQSRecord]):
    """The timers' queue: each message finishes its wrap-up if still pending (a submitted one is left as it is)."""

    event_type = EventType.SQS

    def __init__(self, wrap_up: WrapUpService) -> None:
        super().__init__()
        self.wrap_up = wrap_up

    def handle(self, record: SQSRecord) -> None:
        body = json.loads(record.body)
        self.wrap_up.expire(str(body["interactionId"]))
