"""A supervisor's scope (docs/floor.md "Supervisors' scope"): the teams whose `supervisorIds` name the supervisor,
their agents and the queues built from them. A supervisor no team names, or a principal without a supervisor id
(the static supervisor link, an admin no team names), sees the whole center.

The scope narrows what reaches the supervisor (the dashboard's snapshot and updates, conversation frames) and what it
may open or act on; the per-account counters stay whole (an account is not a team's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from smschannel.models import Queue, Team


@dataclass(frozen=True)
class Scope:
    team_ids: frozenset[str]
    queue_ids: frozenset[str]
    agent_ids: frozenset[str]

    def covers(self, queue_id: str | None, agent_id: str | None) -> bool:
        """An interaction of one of the scope's queues, or held by one of its agents."""
        return (queue_id is not None and queue_id in self.queue_ids) or (
            agent_id is not None and agent_id in self.agent_ids
        )

    def covers_item(self, item: Mapping[str, Any]) -> bool:
        """`covers` for an interaction or a feed entry as a frame carries it (`queueId`, `agentId`)."""
        return self.covers(item.get("queueId"), item.get("agentId"))

    def dashboard(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A `dashboard.snapshot` or `dashboard.update` narrowed to the scope (queues, agents, the feed, teams)."""
        narrowed = dict(frame)
        if "queues" in frame:
            narrowed["queues"] = [queue for queue in frame["queues"] if queue.get("id") in self.queue_ids]
        if "agents" in frame:
            narrowed["agents"] = [agent for agent in frame["agents"] if agent.get("id") in self.agent_ids]
        if "feed" in frame:
            narrowed["feed"] = [entry for entry in frame["feed"] if self.covers_item(entry)]
        if "teams" in frame:
            narrowed["teams"] = [team for team in frame["teams"] if team.get("id") in self.team_ids]
        narrowed["scope"] = {"teamIds": sorted(self.team_ids)}
        return narrowed


def scope_of(supervisor_id: str | None, teams: Iterable[Team], queues: Iterable[Queue]) -> Scope | None:
    """The supervisor's scope; None for the whole center."""
    if not supervisor_id:
        return None
    scoped = [team for team in teams if supervisor_id in team.supervisor_ids]
    if not scoped:
        return None
    team_ids = frozenset(team.id for team in scoped)
    agent_ids = frozenset(agent_id for team in scoped for agent_id in team.agent_ids)
    queue_ids = frozenset(queue.id for queue in queues if team_ids & set(queue.team_ids))
    return Scope(team_ids, queue_ids, agent_ids)
