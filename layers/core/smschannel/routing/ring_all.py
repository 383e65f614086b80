"""`ring-all`: the interaction is offered to every ready agent with room at once; the first to take it gets it.

Agents do not accept explicitly in this stream-driven model, so "offered to all" means: every ready agent with room
is a candidate with no preference between them, and the assignment's conditional write decides the winner. The
candidates are tried in a rotation that starts at a position derived from the interaction id, so concurrent
handlers assigning different interactions start at different agents (instead of all racing for the first) and a
redelivered stream record tries the same order again.
"""

from __future__ import annotations

from smschannel.keys import shard_of
from smschannel.routing.candidates import Candidate, RoutingContext


def ring_all(candidates: list[Candidate], context: RoutingContext) -> list[Candidate]:
    ordered = sorted(candidates, key=lambda candidate: candidate.agent_id)
    if not ordered:
        return []
    start = shard_of(context.interaction_id, len(ordered))
    return ordered[start:] + ordered[:start]
