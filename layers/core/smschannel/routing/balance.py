"""Balancing strategies: `least-busy` (lowest load relative to capacity) and `longest-idle` (oldest last assignment)."""

from __future__ import annotations

from smschannel.routing.candidates import Candidate, RoutingContext

# Never assigned sorts before any ISO 8601 timestamp.
_NEVER = ""


def least_busy(candidates: list[Candidate], context: RoutingContext) -> list[Candidate]:
    """Ties on the load ratio go to the lower absolute load, then to the longest idle, then by id."""
    return sorted(
        candidates,
        key=lambda c: (c.load / c.capacity, c.load, c.last_assigned_at or _NEVER, c.agent_id),
    )


def longest_idle(candidates: list[Candidate], context: RoutingContext) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.last_assigned_at or _NEVER, c.agent_id))
