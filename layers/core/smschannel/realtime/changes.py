"""What one table change means for the people watching: frames for agents and supervisors, dashboard deltas.

Pure functions of a stream record's old and new images (plain dicts), so every rule is unit-tested; the fan-out
(smschannel.realtime.fanout) looks up what an image does not carry and applies the deltas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smschannel.timestamps import parse_iso

Image = dict[str, Any]


@dataclass
class QueueDelta:
    open: int = 0
    waiting_add: dict[str, str] = field(default_factory=dict)  # interaction id -> waiting since
    waiting_remove: set[str] = field(default_factory=set)
    answered: int = 0
    answered_in_target: int = 0

    def is_empty(self) -> bool:
        return not (self.open or self.waiting_add or self.waiting_remove or self.answered)


@dataclass
class InteractionChange:
    """The meaning of one interaction record."""

    assigned_to: str | None = None  # interaction.assigned (then its messages) to this agent
    unassigned_from: str | None = None  # taken away (requeued, transferred) from this agent
    closed_for: str | None = None  # interaction.closed to this agent
    closed: bool = False
    opened: bool = False
    transferred: dict[str, Any] | None = None  # the new `lastTransfer` ({from, to, note, by, at})
    summarized: dict[str, Any] | None = None  # AI assist: the interaction's new `summary` (ready or unavailable)
    queues: dict[str, QueueDelta] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)

    @property
    def matters(self) -> bool:
        return bool(
            self.assigned_to
            or self.unassigned_from
            or self.closed
            or self.opened
            or self.transferred
            or self.summarized
            or any(not delta.is_empty() for delta in self.queues.values())
            or any(self.accounts.values())
        )


def _is_open(image: Image | None) -> bool:
    return bool(image) and image.get("status") == "open"  # type: ignore[union-attr]


def _agent(image: Image | None) -> str | None:
    return (image or {}).get("agentId") or None


def _is_waiting(image: Image | None) -> bool:
    return _is_open(image) and not _agent(image) and bool((image or {}).get("queueId"))


def seconds_between(start: str, end: str) -> float:
    return (parse_iso(end) - parse_iso(start)).total_seconds()


def interaction_change(old: Image | None, new: Image | None, service_level_seconds: int | None) -> InteractionChange:
    """Frames and counters of one interaction record (INSERT: old None; REMOVE: new None)."""
    change = InteractionChange()
    old_agent, new_agent = _agent(old), _agent(new)
    if _is_open(new) and new_agent and new_agent != old_agent:
        change.assigned_to = new_agent
    if old_agent and _is_open(old) and _is_open(new) and new_agent != old_agent:
        change.unassigned_from = old_agent
    if _is_open(old) and new is not None and new.get("status") == "closed":
        change.closed = True
        change.closed_for = new_agent or old_agent
    change.opened = old is None and _is_open(new)
    transfer = (new or {}).get("lastTransfer")
    if transfer and transfer != (old or {}).get("lastTransfer"):
        change.transferred = transfer
    summary = (new or {}).get("summary")
    if summary and summary != (old or {}).get("summary"):
        change.summarized = summary

    def queue(queue_id: str) -> QueueDelta:
        return change.queues.setdefault(queue_id, QueueDelta())

    old_queue, new_queue = (old or {}).get("queueId"), (new or {}).get("queueId")
    if _is_open(old) and old_queue:
        queue(old_queue).open -= 1
    if _is_open(new) and new_queue:
        queue(new_queue).open += 1
    interaction_id = str((new or old or {}).get("id", ""))
    if _is_waiting(old) and not (_is_waiting(new) and new_queue == old_queue):
        queue(str(old_queue)).waiting_remove.add(interaction_id)
    if _is_waiting(new) and not (_is_waiting(old) and new_queue == old_queue):
        assert new is not None
        queue(str(new_queue)).waiting_add[interaction_id] = str(new.get("waitingSince") or new.get("createdAt"))
    first_answer = new is not None and new.get("assignedAt") and not (old or {}).get("assignedAt")
    if first_answer and new_queue and _is_open(new):
        assert new is not None
        delta = queue(new_queue)
        delta.answered += 1
        waited = seconds_between(str(new.get("createdAt")), str(new.get("assignedAt")))
        if service_level_seconds is not None and waited <= service_level_seconds:
            delta.answered_in_target += 1
    change.queues = {queue_id: delta for queue_id, delta in change.queues.items() if not delta.is_empty()}

    old_account, new_account = (old or {}).get("accountId"), (new or {}).get("accountId")
    if _is_open(old) and old_account:
        change.accounts[old_account] = change.accounts.get(old_account, 0) - 1
    if _is_open(new) and new_account:
        change.accounts[new_account] = change.accounts.get(new_account, 0) + 1
    change.accounts = {account: delta for account, delta in change.accounts.items() if delta}
    return change


def message_status_changed(old: Image | None, new: Image | None) -> bool:
    return old is not None and new is not None and old.get("status") != new.get("status")


def agent_changed(old: Image | None, new: Image | None) -> bool:
    """The agent fields the dashboard shows (status, load, capacity, name)."""
    watched = ("status", "load", "capacity", "name", "pauseReason", "wrapUps")
    return new is not None and any((old or {}).get(name) != new.get(name) for name in watched)


def shown_status(image: Image) -> str | None:
    """The status the desk and the dashboard show: `wrap-up` while a ready agent has wrap-ups pending."""
    status = image.get("status")
    return "wrap-up" if status == "ready" and image.get("wrapUps") else status


def agent_status_changed(old: Image | None, new: Image | None) -> bool:
    """The shown status changed (a close into wrap-up, or its end, is a change of state on the dashboard)."""
    return new is not None and shown_status(old or {}) != shown_status(new)


def public_interaction(image: Image) -> Image:
    """The interaction as docs/api.md shows it: the item without its keys and bookkeeping."""
    hidden = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "entity", "queuePartition", "queueSort"}
    hidden |= {"searchPartition", "searchSort"}
    return {name: value for name, value in image.items() if name not in hidden}


def public_message(image: Image) -> Image:
    hidden = {"pk", "sk", "entity", "statusRank"}
    return {name: value for name, value in image.items() if name not in hidden}
