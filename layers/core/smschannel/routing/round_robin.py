"""`round-robin` with memory: the next agent after the one the queue served last, in the queue's member order."""

from __future__ import annotations

from smschannel.routing.candidates import Candidate, RoutingContext


def round_robin(candidates: list[Candidate], context: RoutingContext) -> list[Candidate]:
    members = list(context.members) or sorted(candidate.agent_id for candidate in candidates)
    position = {agent_id: index for index, agent_id in enumerate(members)}
    # Agents no longer listed (a queue edited mid-flight) go last, in id order.
    ring = sorted(
        candidates, key=lambda candidate: (position.get(candidate.agent_id, len(members)), candidate.agent_id)
    )
    if context.last_served is None or context.last_served not in position:
        return ring
    after = position[context.last_served]
    return [c for c in ring if position.get(c.agent_id, len(members)) > after] + [
        c for c in ring if position.get(c.agent_id, len(members)) <= after
    ]
