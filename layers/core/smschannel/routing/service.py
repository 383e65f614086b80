"""Queue assignment use cases: route a new interaction, serve waiters when an agent frees room, requeue from an
agent who left, and the once-a-minute sweep (queue timeouts, then a drain of every queue as a safety net)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from smschannel.dynamo import Contended, retry_on_conflict
from smschannel.models import Agent, AgentStatus, Contact, Queue, utc_now
from smschannel.observability import logger, metrics
from smschannel.routing.candidates import Candidate, RoutingContext
from smschannel.routing.strategies import strategy_for
from smschannel.routing.wakeups import AgentFreed, AgentUnavailable, RouteInteraction, WakeUp
from smschannel.stores.routing import AssignOutcome, Routable, RoutingStore
from smschannel.timestamps import epoch_seconds, to_iso

QUEUE_CACHE_SECONDS = 10.0
CONFLICT_RETRIES = 3
CONFLICT_BACKOFF_SECONDS = 0.01
MAX_DRAIN_ROUNDS = 50


class Routed(StrEnum):
    ASSIGNED = "assigned"
    NO_AGENT = "no-agent"  # nobody in the queue is ready with room
    GONE = "gone"  # closed or assigned meanwhile


@dataclass
class SweepReport:
    overflowed: int = 0
    timed_out: int = 0
    assigned: int = 0
    waiting: int = 0  # left waiting after the drain, every queue


@dataclass
class _Batch:
    """What one invocation remembers: agent snapshots (kept current by its own assignments) and pointers."""

    agents: dict[str, Agent] = field(default_factory=dict)
    pointers: dict[str, str | None] = field(default_factory=dict)
    dirty_pointers: dict[str, str] = field(default_factory=dict)
    assigned: int = 0


class RoutingService:
    def __init__(
        self,
        store: RoutingStore,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], str] = utc_now,
        queue_cache_seconds: float = QUEUE_CACHE_SECONDS,
    ) -> None:
        self.store = store
        self.rng = rng or random.Random()
        self.clock = clock
        self.queue_cache_seconds = queue_cache_seconds
        self._queues: dict[str, Queue] = {}
        self._queues_loaded_at = float("-inf")
        self._batch = _Batch()

    # --- invocation scope ------------------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[_Batch]:
        """One stream batch: agents are read once and kept current; round-robin pointers are written once at
        the end (per queue, the last agent served), so the pointer item takes one write per batch, not per
        assignment."""
        self._batch = _Batch()
        try:
            yield self._batch
        finally:
            self._flush_pointers()
            self._batch = _Batch()

    def handle(self, wakeup: WakeUp) -> None:
        if isinstance(wakeup, RouteInteraction):
            self.route_new(Routable.of(wakeup.interaction))
        elif isinstance(wakeup, AgentFreed):
            self.agent_freed(wakeup.agent_id)
        elif isinstance(wakeup, AgentUnavailable):
            self.agent_unavailable(wakeup.agent_id)

    # --- use cases -------------------------------------------------------------------------------------------

    def route_new(self, routable: Routable) -> Routed:
        """Assign now when someone in the queue has room, else wait in arrival order.

        After enqueueing, the agents are read again: a release that committed between the first read and the
        enqueue may have looked for waiters before this one was listed, so this side serves the queue then.
        """
        queue = self._queue(routable.queue_id)
        if queue is None:
            logger.warning("interaction in an unknown queue", extra={"interactionId": routable.id})
            return Routed.NO_AGENT
        outcome = self._assign(routable, queue)
        if outcome != Routed.NO_AGENT:
            return outcome
        self.store.enqueue(routable, self.clock())
        logger.info("interaction waiting", extra={"interactionId": routable.id, "queueId": queue.id})
        self._forget_agents(queue.members)
        if self._candidates(queue):
            self.drain([queue])
        return Routed.NO_AGENT

    def route_to_agent(self, routable: Routable, agent_id: str) -> Routed:
        """A trigger named the agent: assign to them when ready with room, else route through the queue."""
        outcome = self._try_assign(routable, agent_id, None)
        if outcome == AssignOutcome.ASSIGNED:
            self._forget_agents([agent_id])
            self._batch.assigned += 1
            logger.info("interaction assigned by trigger", extra={"interactionId": routable.id, "agentId": agent_id})
            return Routed.ASSIGNED
        if outcome == AssignOutcome.INTERACTION_TAKEN:
            return Routed.GONE
        return self.route_new(routable)

    def agent_freed(self, agent_id: str) -> int:
        self._forget_agents([agent_id])
        return self.drain(self._queues_of(agent_id))

    def agent_unavailable(self, agent_id: str) -> int:
        """Their open interactions stay theirs, except in queues that ask to requeue them (then served again)."""
        requeueing = {queue.id: queue for queue in self._queues_of(agent_id) if queue.requeue_on_unavailable}
        if not requeueing:
            return 0
        moved = 0
        for routable in self.store.open_of_agent(agent_id):
            if routable.queue_id in requeueing and self.store.requeue(routable, agent_id, self.clock()):
                moved += 1
        logger.info("requeued from unavailable agent", extra={"agentId": agent_id, "requeued": moved})
        if moved:
            self.drain(list(requeueing.values()))
        return moved

    def drain(self, queues: list[Queue]) -> int:
        """Serve the oldest waiters of these queues (merged in arrival order) while any of their agents has room."""
        active = {queue.id: queue for queue in queues if self._candidates(queue)}
        assigned = 0
        for _ in range(MAX_DRAIN_ROUNDS):
            active = {queue_id: queue for queue_id, queue in active.items() if self._candidates(queue)}
            if not active:
                break
            heads: list[Routable] = []
            for queue in active.values():
                room = sum(candidate.room for candidate in self._candidates(queue))
                heads += [waiting.in_queue(queue.id) for waiting in self.store.oldest_waiting(queue.id, max(room, 1))]
            progressed = False
            for waiting in sorted(heads, key=lambda each: each.queue_sort):
                queue_or_none = active.get(waiting.queue_id)
                if queue_or_none is None:
                    continue
                outcome = self._assign(waiting, queue_or_none)
                if outcome == Routed.ASSIGNED:
                    assigned += 1
                    progressed = True
                elif outcome == Routed.NO_AGENT:
                    del active[waiting.queue_id]
            if not progressed:
                break
        return assigned

    def sweep(self) -> SweepReport:
        """Scheduled every minute: waiters past their queue's timeoutSeconds overflow (or are flagged for the
        `queue.timeout` trigger event), then every queue is drained, which also repairs a lost wake-up."""
        report = SweepReport()
        now = self.clock()
        now_epoch = epoch_seconds(now)
        queues = self._all_queues(refresh=True)
        with self.batch():
            for queue in queues:
                if queue.timeout_seconds:
                    self._time_out(queue, now, now_epoch - queue.timeout_seconds, report)
            report.assigned = self.drain(queues)
        # Still waiting once every queue is drained (no agent ready with room): the ops dashboard's backlog line.
        report.waiting = sum(self.store.count_waiting(queue.id) for queue in queues)
        metrics.add_metric(name="WaitingInteractions", unit=MetricUnit.Count, value=report.waiting)
        return report

    # --- internals -------------------------------------------------------------------------------------------

    def _time_out(self, queue: Queue, now: str, cutoff_epoch: float, report: SweepReport) -> None:
        cutoff = to_iso(cutoff_epoch)
        overflow = self._queue(queue.overflow_queue_id) if queue.overflow_queue_id else None
        for listed in self.store.waiting_created_before(queue.id, cutoff):
            if (listed.waiting_since or listed.created_at) >= cutoff:
                continue
            waiting = listed.in_queue(queue.id)
            if overflow is not None:
                if self.store.overflow(waiting, overflow.id, now):
                    report.overflowed += 1
                    logger.info("queue timeout: overflowed", extra={"interactionId": waiting.id, "to": overflow.id})
            elif waiting.timed_out_at is None and self.store.mark_timed_out(waiting, now):
                report.timed_out += 1
                logger.info("queue timeout: flagged", extra={"interactionId": waiting.id, "queueId": queue.id})

    def _assign(self, routable: Routable, queue: Queue) -> Routed:
        contact = self.store.get_contact(routable.contact_id) if routable.contact_id else None
        for candidate in self._ordered(routable, queue, contact.last_agent_id if contact else None):
            outcome = self._try_assign(routable, candidate.agent_id, contact)
            if outcome == AssignOutcome.ASSIGNED:
                self._took_one(queue.id, candidate.agent_id)
                waited = epoch_seconds(self.clock()) - epoch_seconds(routable.waiting_since or routable.created_at)
                metrics.add_metric(
                    name="AssignmentWaitSeconds", unit=MetricUnit.Seconds, value=round(max(0.0, waited), 1)
                )
                logger.info(
                    "interaction assigned",
                    extra={"interactionId": routable.id, "queueId": queue.id, "agentId": candidate.agent_id},
                )
                return Routed.ASSIGNED
            if outcome == AssignOutcome.INTERACTION_TAKEN:
                return Routed.GONE
            # Not ready, full or contended: the snapshot was stale; read that agent again next time.
            self._forget_agents([candidate.agent_id])
        return Routed.NO_AGENT

    def _try_assign(self, routable: Routable, agent_id: str, contact: Contact | None) -> AssignOutcome:
        """The assignment transaction, tried again (briefly) while it only conflicts with a concurrent one."""

        def assign() -> AssignOutcome:
            outcome = self.store.assign(routable, agent_id, self.clock(), contact)
            if outcome == AssignOutcome.CONFLICT:
                raise Contended
            return outcome

        try:
            return retry_on_conflict(assign, attempts=CONFLICT_RETRIES, base=CONFLICT_BACKOFF_SECONDS, rng=self.rng)
        except Contended:
            return AssignOutcome.CONFLICT

    def _ordered(self, routable: Routable, queue: Queue, last_agent_id: str | None) -> list[Candidate]:
        candidates = self._candidates(queue)
        if queue.id not in self._batch.pointers:
            self._batch.pointers[queue.id] = self.store.pointer(queue.id) if queue.strategy == "round-robin" else None
        context = RoutingContext(
            members=tuple(queue.members),
            last_served=self._batch.pointers[queue.id],
            interaction_id=routable.id,
            rng=self.rng,
        )
        ordered = strategy_for(queue.strategy)(candidates, context)
        if queue.sticky_agent and last_agent_id:
            # A returning customer goes first to the agent who served them last, when ready with room.
            ordered.sort(key=lambda candidate: candidate.agent_id != last_agent_id)
        return ordered

    def _candidates(self, queue: Queue) -> list[Candidate]:
        missing = [agent_id for agent_id in queue.members if agent_id not in self._batch.agents]
        if missing:
            self._batch.agents.update(self.store.agents(missing))
        candidates = []
        for agent_id in queue.members:
            agent = self._batch.agents.get(agent_id)
            if agent is not None and agent.status == AgentStatus.READY and agent.load < agent.capacity:
                candidates.append(Candidate(agent.id, agent.load, agent.capacity, agent.last_assigned_at))
        return candidates

    def _took_one(self, queue_id: str, agent_id: str) -> None:
        agent = self._batch.agents.get(agent_id)
        if agent is not None:
            self._batch.agents[agent_id] = agent.model_copy(
                update={"load": agent.load + 1, "last_assigned_at": self.clock()}
            )
        self._batch.pointers[queue_id] = agent_id
        self._batch.dirty_pointers[queue_id] = agent_id
        self._batch.assigned += 1

    def _forget_agents(self, agent_ids: list[str]) -> None:
        for agent_id in agent_ids:
            self._batch.agents.pop(agent_id, None)

    def _flush_pointers(self) -> None:
        for queue_id, agent_id in self._batch.dirty_pointers.items():
            try:
                self.store.save_pointer(queue_id, agent_id, self.clock())
            except ClientError:
                # Advisory memory: a lost pointer write only makes the next round start one agent early.
                logger.exception("round-robin pointer not saved", extra={"queueId": queue_id})
        self._batch.dirty_pointers.clear()

    def _queue(self, queue_id: str | None) -> Queue | None:
        if queue_id is None:
            return None
        queues = {queue.id: queue for queue in self._all_queues()}
        return queues.get(queue_id) or self.store.get_queue(queue_id)

    def _queues_of(self, agent_id: str) -> list[Queue]:
        # Agent changes are rare and must see a queue created a moment ago: read the configuration afresh.
        return [queue for queue in self._all_queues(refresh=True) if agent_id in queue.members]

    def _all_queues(self, refresh: bool = False) -> list[Queue]:
        """Queue configuration changes rarely: each container rereads it at most every few seconds."""
        if refresh or time.monotonic() - self._queues_loaded_at > self.queue_cache_seconds:
            self._queues = {queue.id: queue for queue in self.store.list_queues()}
            self._queues_loaded_at = time.monotonic()
        return list(self._queues.values())
