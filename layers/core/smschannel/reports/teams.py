"""The team an interaction is reported under (docs/reports.md "Definitions"): of the teams the handling agent is in,
the first (by id) the interaction's queue is built from (`teamIds`), else the agent's first team; none for an
interaction no agent handled. Teams and queues are read at most once a minute per container: a team change shows in
the facts of the closes after it, never rewrites earlier ones."""

from __future__ import annotations

import time
from collections.abc import Callable

from smschannel.stores.configuration import ConfigurationStore

REFRESH_SECONDS = 60.0


class TeamOf:
    def __init__(
        self,
        configuration: ConfigurationStore,
        refresh_seconds: float = REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.configuration = configuration
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self._read_at: float | None = None
        self._teams_of_agent: dict[str, list[str]] = {}
        self._queue_teams: dict[str, set[str]] = {}

    def __call__(self, queue_id: str | None, agent_id: str | None) -> str | None:
        if not agent_id:
            return None
        self._refresh()
        teams = self._teams_of_agent.get(agent_id, [])
        built_from = self._queue_teams.get(queue_id or "", set())
        return next((team for team in teams if team in built_from), teams[0] if teams else None)

    def _refresh(self) -> None:
        now = self.clock()
        if self._read_at is not None and now - self._read_at < self.refresh_seconds:
            return
        teams_of_agent: dict[str, list[str]] = {}
        for team in sorted(self.configuration.list_teams(), key=lambda team: team.id):
            for agent_id in team.agent_ids:
                teams_of_agent.setdefault(agent_id, []).append(team.id)
        self._teams_of_agent = teams_of_agent
        self._queue_teams = {queue.id: set(queue.team_ids) for queue in self.configuration.list_queues()}
        self._read_at = now
