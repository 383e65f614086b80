"""What one table change sets off, in order: the trigger engine first, then queue assignment.

Running both in the same record handler is what guarantees that a trigger on `interaction.created` acts before
the interaction can be assigned: one it closed or handed to a bot is never routed, one it moved to another queue
is routed there, at once.
"""

from __future__ import annotations

from smschannel.routing.service import RoutingService
from smschannel.routing.store import Routable
from smschannel.routing.wakeups import RouteInteraction, wakeups_of
from smschannel.triggers.events import Change, bot_held_interaction, occurrences_of
from smschannel.triggers.service import EngineOutcome, TriggerEngine


class ChangeHandler:
    def __init__(self, routing: RoutingService, engine: TriggerEngine | None) -> None:
        self.routing = routing
        self.engine = engine

    def handle(self, change: Change) -> EngineOutcome:
        outcome = EngineOutcome()
        if self.engine is not None:
            for occurrence in occurrences_of(change):
                outcome.merge(self.engine.handle(occurrence))
            held = bot_held_interaction(change)
            if held is not None:
                outcome.merge(self.engine.release_orphaned_bot(held))
        for wakeup in wakeups_of(change.event_name, change.old, change.new):
            if isinstance(wakeup, RouteInteraction) and (outcome.skip_routing or outcome.route is not None):
                continue
            self.routing.handle(wakeup)
        if outcome.route is not None and not outcome.skip_routing:
            routable = Routable.of(outcome.route)
            if outcome.prefer_agent:
                self.routing.route_to_agent(routable, outcome.prefer_agent)
            else:
                self.routing.route_new(routable)
        return outcome
