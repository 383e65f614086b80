"""`random`: a uniformly random agent among those ready with room (the rest follow, shuffled, as fallbacks)."""

from __future__ import annotations

from smschannel.routing.candidates import Candidate, RoutingContext


def random_order(candidates: list[Candidate], context: RoutingContext) -> list[Candidate]:
    ordered = sorted(candidates, key=lambda candidate: candidate.agent_id)
    context.rng.shuffle(ordered)
    return ordered
