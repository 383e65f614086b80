"""The registry of routing strategies by their configured name (models.STRATEGIES): one line per strategy."""

from __future__ import annotations

from smschannel.models import STRATEGIES
from smschannel.routing.balance import least_busy, longest_idle
from smschannel.routing.candidates import StrategyFn
from smschannel.routing.random_pick import random_order
from smschannel.routing.ring_all import ring_all
from smschannel.routing.round_robin import round_robin

STRATEGY_ORDER: dict[str, StrategyFn] = {
    "ring-all": ring_all,
    "round-robin": round_robin,
    "least-busy": least_busy,
    "longest-idle": longest_idle,
    "random": random_order,
}

assert set(STRATEGY_ORDER) == set(STRATEGIES), "every configurable strategy needs an implementation"


def strategy_for(name: str) -> StrategyFn:
    """Unknown names (a queue stored before a strategy was removed) fall back to round-robin."""
    return STRATEGY_ORDER.get(name, round_robin)
