"""The fan-out: table changes become frames for the agents concerned and the subscribed supervisors.

No agent ever receives a frame of another agent's interaction: an interaction's frames go to the agent it is
assigned to (read from the image, or for a message from the interaction itself), at once, one per event.
Supervisors get the whole center coalesced: one `dashboard.update` per batch and connection, with the counters'
latest values and the batch's live feed (its newest FEED_PER_UPDATE entries, `feedDropped` counting the rest),
and, one per event, the frames of the one conversation the connection has open (`getInteraction`).
Counters are applied per record; frames are pushed once per batch, in record order per connection. A close (and a
wrap-up after it) also adds to its queue's tiles (smschannel.realtime.tiles); at the batch's end the tiles of the
queues it changed are read once and carried in the update's queue entries, and each changed queue's threshold
alerts are checked (smschannel.realtime.alerts: `alert.raised` / `alert.cleared` frames to supervisors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smschannel.floor.scope import Scope, scope_of
from smschannel.models import Queue, utc_now
from smschannel.observability import logger
from smschannel.realtime import frames
from smschannel.realtime.alerts import QueueAlerts
from smschannel.realtime.changes import (
    Image,
    InteractionChange,
    agent_changed,
    agent_status_changed,
    interaction_change,
    message_status_changed,
    public_interaction,
    public_message,
    shown_status,
)
from smschannel.realtime.push import Pusher
from smschannel.realtime.tiles import QueueTiles, tile_delta
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.connections import Connection, ConnectionStore
from smschannel.stores.dashboard import DashboardStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stream import StreamChange

FEED_BODY_CHARS = 160
# A dashboard.update's feed entries at most (~300-900 bytes each): with 50 agents' rows the frame stays in one
# 32 KB WebSocket billing unit, far below the 128 KB a frame may carry. The newest are kept; the page shows the
# count of the others, and a snapshot (reload) reads them from the feed partition.
FEED_PER_UPDATE = 20


def public_agent(image: Image) -> Image:
    """The agent as the desk and the dashboard show it; `status` is `wrap-up` while a ready agent has wrap-ups
    pending (`wrapUps` names them; the agent's own choice stays in `presence`)."""
    shown = ("id", "name", "status", "load", "capacity", "pauseReason", "updatedAt", "lastAssignedAt")
    agent = {name: image.get(name) for name in shown}
    wrap_ups = sorted(image.get("wrapUps") or [])
    agent["presence"] = agent["status"]
    agent["wrapUps"] = wrap_ups
    agent["status"] = shown_status(image)
    return agent


def feed_entry(message: Image, agent_id: str | None, queue_id: str | None = None) -> Image:
    return {
        "id": message.get("id"),
        "interactionId": message.get("interactionId"),
        "accountId": message.get("accountId"),
        "direction": message.get("direction"),
        "body": str(message.get("body") or "")[:FEED_BODY_CHARS],
        "media": len(message.get("media") or []),
        "from": message.get("from"),
        "to": message.get("to"),
        "status": message.get("status"),
        "createdAt": message.get("createdAt"),
        "agentId": agent_id,
        "queueId": queue_id,
        "sender": message.get("sender"),
    }


@dataclass
class Batch:
    """What one stream batch produced: frames per audience and the dashboard's changed parts."""

    to_agents: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # (interaction id, frame): to the supervisors who have that conversation open.
    to_watchers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: dict[str, dict[str, Any]] = field(default_factory=dict)
    feed: list[dict[str, Any]] = field(default_factory=list)
    interactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # read during this batch
    configured_queues: dict[str, Queue | None] = field(default_factory=dict)  # read during this batch
    tiled: set[str] = field(default_factory=set)  # the queues whose tiles this batch added to
    alerts: list[dict[str, Any]] = field(default_factory=list)  # alert.raised / alert.cleared frames

    def dashboard_update(self, feed_limit: int | None = None) -> dict[str, Any] | None:
        """Every dashboard change of the batch in one frame: each queue's, account's and agent's latest state (the
        last record's wins) and the batch's feed entries in order (the newest `feed_limit` of them, if given, with
        the count left out)."""
        if not (self.queues or self.accounts or self.agents or self.feed):
            return None
        feed = self.feed[-feed_limit:] if feed_limit else self.feed
        return {
            "type": "dashboard.update",
            "at": utc_now(),
            "queues": list(self.queues.values()),
            "accounts": list(self.accounts.values()),
            "agents": list(self.agents.values()),
            "feed": feed,
            "feedDropped": len(self.feed) - len(feed),
        }


class FanOut:
    def __init__(
        self,
        configuration: ConfigurationStore,
        interactions: InteractionStore,
        connections: ConnectionStore,
        dashboard: DashboardStore,
        pusher: Pusher,
        *,
        supervisors_watch_only: bool = False,
        tiles: QueueTiles | None = None,
        alerts: QueueAlerts | None = None,
    ) -> None:
        # False (the contract's default): every supervisor gets every conversation frame; True: only those of the
        # conversation it has open (SUPERVISOR_FRAMES=watched).
        self.supervisors_watch_only = supervisors_watch_only
        self.configuration = configuration
        self.interactions = interactions
        self.connections = connections
        self.dashboard = dashboard
        self.pusher = pusher
        self.tiles = tiles
        self.alerts = alerts

    # --- one record --------------------------------------------------------------------------------------------

    def handle(self, change: StreamChange, batch: Batch) -> None:
        entity = change.entity
        if entity == "interaction":
            self._interaction(change, batch)
        elif entity == "message":
            self._message(change, batch)
        elif entity == "agent":
            self._agent(change, batch)

    def _interaction(self, change: StreamChange, batch: Batch) -> None:
        queue_id = (change.new or change.old or {}).get("queueId")
        meaning = interaction_change(change.old, change.new, self._service_level(queue_id, batch) if queue_id else None)
        if meaning.matters:
            self._interaction_frames(change, meaning, batch)
        # Last, after the record's other counters: a record that fails before this adds nothing to the tiles.
        if self.tiles is not None:
            delta = tile_delta(change, self.tiles.time_zone_of, lambda queue: self._service_level(queue, batch) or 60)
            if delta is not None:
                self.tiles.apply(delta)
                batch.tiled.add(delta.queue_id)

    def _interaction_frames(self, change: StreamChange, meaning: InteractionChange, batch: Batch) -> None:
        new = change.new
        shown = public_interaction(new or change.old or {})
        interaction_id = str(shown["id"])
        if new is not None:
            batch.interactions[str(new["id"])] = new
        if meaning.unassigned_from:
            batch.to_agents.append((meaning.unassigned_from, frames.interaction_frame("interaction.unassigned", shown)))
        if meaning.assigned_to:
            assigned = frames.interaction_frame("interaction.assigned", shown)
            batch.to_agents.append((meaning.assigned_to, assigned))
            batch.to_watchers.append((interaction_id, assigned))
            # The messages that arrived before the assignment: the agent sees the whole conversation.
            for message in self.interactions.list_messages(interaction_id):
                batch.to_agents.append((meaning.assigned_to, frames.message_created(message.to_json_dict())))
        if meaning.transferred:
            transferred = frames.transferred(shown, meaning.transferred)
            for agent_id in dict.fromkeys((meaning.unassigned_from, meaning.assigned_to)):
                if agent_id:
                    batch.to_agents.append((agent_id, transferred))
            # Supervisors also see it in the feed: the transcript's transfer note is a message like any other.
            batch.to_watchers.append((interaction_id, transferred))
        if meaning.closed:
            closed = frames.interaction_frame("interaction.closed", shown)
            if meaning.closed_for:
                batch.to_agents.append((meaning.closed_for, closed))
            batch.to_watchers.append((interaction_id, closed))
        if meaning.opened:
            batch.to_watchers.append((interaction_id, frames.interaction_frame("interaction.created", shown)))
        if meaning.summarized:
            summary = frames.summarized(shown, meaning.summarized)
            holder = (new or {}).get("agentId")  # the agent who has it (or closed it, or is wrapping it up)
            if holder:
                batch.to_agents.append((str(holder), summary))
            batch.to_watchers.append((interaction_id, summary))
        for queue_id_changed, delta in meaning.queues.items():
            batch.queues[queue_id_changed] = self.dashboard.apply_queue(queue_id_changed, delta)
        for account_id, delta_open in meaning.accounts.items():
            batch.accounts[account_id] = self.dashboard.apply_account(account_id, delta_open)

    def _message(self, change: StreamChange, batch: Batch) -> None:
        new = change.new
        if new is None:
            return
        created = change.event_name == "INSERT"
        if not created and not message_status_changed(change.old, new):
            return
        message = public_message(new)
        interaction_id = str(message.get("interactionId"))
        agent_id = self._agent_of(interaction_id, batch)
        frame = frames.message_created(message) if created else frames.message_status(message)
        if agent_id:
            batch.to_agents.append((agent_id, frame))
        batch.to_watchers.append((interaction_id, frame))
        if created and message.get("direction") == "note":
            for mentioned in message.get("mentions") or []:
                batch.to_agents.append((str(mentioned), frames.note_mention(message)))
        if created:
            entry = feed_entry(message, agent_id, self._interaction_of(interaction_id, batch).get("queueId"))
            self.dashboard.add_to_feed(entry)
            batch.feed.append(entry)

    def _agent(self, change: StreamChange, batch: Batch) -> None:
        new = change.new
        if new is None or not agent_changed(change.old, new):
            return
        agent = public_agent(new)
        if agent_status_changed(change.old, new):
            # The agent's own choice has its time; entering or leaving wrap-up is now (this change's moment).
            chosen = (change.old or {}).get("status") != new.get("status")
            since = str(new.get("statusChangedAt") or new.get("updatedAt") or utc_now()) if chosen else utc_now()
            self.dashboard.agent_status_since(str(agent["id"]), str(agent["status"]), since)
            agent["statusSince"] = since
        batch.agents[str(agent["id"])] = agent
        batch.to_agents.append((str(agent["id"]), {"type": "agent.updated", "agent": agent}))

    def _interaction_of(self, interaction_id: str, batch: Batch) -> dict[str, Any]:
        """The interaction as this batch knows it: its image, or read once ({} when it is gone)."""
        if interaction_id not in batch.interactions:
            found = self.interactions.get_interaction(interaction_id)
            batch.interactions[interaction_id] = found.to_json_dict() if found else {}
        return batch.interactions[interaction_id]

    def _agent_of(self, interaction_id: str, batch: Batch) -> str | None:
        interaction = self._interaction_of(interaction_id, batch)
        if interaction.get("status") == "closed" and not interaction.get("agentId"):
            return None
        return interaction.get("agentId") or None

    def _queue(self, queue_id: str, batch: Batch) -> Queue | None:
        if queue_id not in batch.configured_queues:
            batch.configured_queues[queue_id] = self.configuration.get_queue(queue_id)
        return batch.configured_queues[queue_id]

    def _service_level(self, queue_id: str, batch: Batch) -> int | None:
        queue = self._queue(queue_id, batch)
        return queue.service_level_seconds if queue else None

    # --- the batch's tiles and alerts --------------------------------------------------------------------------

    def _tiles_and_alerts(self, batch: Batch) -> None:
        """The changed queues' tiles into the update's queue entries, then their alerts checked. Never raises: the
        records' counters are applied already, and a failed batch would apply them again."""
        try:
            tiles = self.tiles.current(sorted(batch.tiled)) if self.tiles is not None and batch.tiled else {}
            for queue_id, queue_tiles in tiles.items():
                batch.queues.setdefault(queue_id, {"id": queue_id})["tiles"] = queue_tiles
            if self.alerts is None:
                return
            for queue_id in sorted(set(batch.queues)):
                queue = self._queue(queue_id, batch)
                if queue is None:
                    continue
                entry = batch.queues[queue_id]
                state = entry if "open" in entry else None  # counters changed in this batch (else tiles only)
                batch.alerts += self.alerts.check(queue, state, tiles.get(queue_id))
        except Exception:  # noqa: BLE001 - the dashboard's extras never fail the batch of frames
            logger.exception("queue tiles or alerts not updated")

    def _scopes(self, supervisor_ids: set[str | None]) -> dict[str | None, Scope | None]:
        """Each connected supervisor's scope: the teams and queues read once per flush, and only when a
        supervisor with an id is connected (the static supervisor link has none: the whole center)."""
        named = {supervisor_id for supervisor_id in supervisor_ids if supervisor_id}
        if not named:
            return {}
        teams, queues = self.configuration.list_teams(), self.configuration.list_queues()
        return {supervisor_id: scope_of(supervisor_id, teams, queues) for supervisor_id in named}

    # --- the batch's frames ------------------------------------------------------------------------------------

    def sweep_alerts(self) -> int:
        """The once-a-minute check of the longest waits: a queue's oldest waiter passes `longestWaitAbove` as time
        goes by, with no change to report it. One Query of the queues, and, when one has the alert, one of the
        dashboard's counters; the alerts raised or cleared are pushed with their queues' state. Returns how many."""
        if self.alerts is None:
            return 0
        watched = [queue for queue in self.configuration.list_queues() if queue.alerts.longest_wait_above is not None]
        if not watched:
            return 0
        counters, _accounts, _since = self.dashboard.counters()
        batch = Batch()
        for queue in watched:
            state = counters.get(queue.id)
            raised = self.alerts.check(queue, state, None) if state is not None else []
            if raised and state is not None:
                batch.queues[queue.id] = state
                batch.alerts += raised
        if batch.alerts:
            self.push(batch)
        return len(batch.alerts)

    def flush(self, batch: Batch) -> int:
        """The batch's tiles and alerts, then every frame pushed (`push`). Returns the frames pushed."""
        self._tiles_and_alerts(batch)
        return self.push(batch)

    def push(self, batch: Batch) -> int:
        """Push every frame of the batch; connections found gone are removed. Returns the frames pushed.

        An agent's connections get each of its frames; a subscribed supervisor's get every conversation frame (or,
        watching only, those of the conversation it has open), then the one dashboard.update of the batch and the
        batch's alert frames."""
        deliveries: list[tuple[Connection, dict[str, Any]]] = []
        agent_connections: dict[str, list[Connection]] = {}
        for agent_id, frame in batch.to_agents:
            if agent_id not in agent_connections:
                agent_connections[agent_id] = self.connections.of_agent(agent_id)
            deliveries += [(connection, frame) for connection in agent_connections[agent_id]]
        # Watching only, the feed is how supervisors see the center's messages: capped so a busy batch's update
        # stays one 32 KB billing unit. With every frame sent (the default), the update carries the whole feed.
        update = batch.dashboard_update(FEED_PER_UPDATE if self.supervisors_watch_only else None)
        if update or batch.to_watchers or batch.alerts:
            supervisors = self.connections.subscribed_supervisors()
            scopes = self._scopes({supervisor.supervisor_id for supervisor in supervisors})
            for supervisor in supervisors:
                scope = scopes.get(supervisor.supervisor_id)
                deliveries += [
                    (supervisor, frame)
                    for watched, frame in batch.to_watchers
                    if (not self.supervisors_watch_only or watched == supervisor.watching)
                    and (
                        scope is None
                        or watched == supervisor.watching
                        or scope.covers_item(self._interaction_of(watched, batch))
                    )
                ]
                if update:
                    deliveries.append((supervisor, update if scope is None else scope.dashboard(update)))
                # A scoped supervisor hears its own queues' alerts.
                deliveries += [
                    (supervisor, alert)
                    for alert in batch.alerts
                    if scope is None or alert["queueId"] in scope.queue_ids
                ]
        for gone in self.pusher.send_all(deliveries):
            self.connections.remove_connection(gone)
        return len(deliveries)
