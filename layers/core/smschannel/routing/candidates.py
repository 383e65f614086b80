"""What every strategy orders: the agents of a queue that are ready and have room, and what it may remember."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """An agent that could take one more interaction now (ready, load below capacity)."""

    agent_id: str
    load: int
    capacity: int
    last_assigned_at: str | None = None

    @property
    def room(self) -> int:
        return self.capacity - self.load


@dataclass(frozen=True)
class RoutingContext:
    """What a strategy may use besides the candidates.

    `members` is the queue's agentIds in the configured order; `last_served` is the queue's round-robin pointer;
    `interaction_id` lets ring-all spread concurrent offers deterministically; `rng` makes `random` testable.
    """

    members: tuple[str, ...] = ()
    last_served: str | None = None
    interaction_id: str = ""
    rng: random.Random = field(default_factory=random.Random)


StrategyFn = Callable[[list[Candidate], RoutingContext], list[Candidate]]
