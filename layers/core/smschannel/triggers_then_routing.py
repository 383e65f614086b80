"""What one table change sets off, in order: the trigger engine first, then queue assignment.

Running both in the same record handler is what guarantees that a trigger on `interaction.created` acts before
the interaction can be assigned: one it closed or handed to a bot is never routed, one it moved to another queue
is routed there, at once. The table stream's domain consumer (smschannel.domain_consumer) runs it for every
change but a new reply.
"""

from __future__ import annotations

from smschannel.models import Interaction, InteractionStatus
from smschannel.routing.service import RoutingService
from smschannel.routing.wakeups import RouteInteraction, wakeups_of
from smschannel.stores.routing import Routable
from smschannel.stream import StreamChange
from smschannel.triggers.events import bot_held_interaction, occurrences_of
from smschannel.triggers.service import EngineOutcome, TriggerEngine


class TriggersThenRouting:
    """One table change: its trigger events through the engine, then what it means for queue assignment."""

    def __init__(self, routing: RoutingService, engine: TriggerEngine | None) -> None:
        self.routing = routing
        self.engine = engine

    def handle(self, change: StreamChange) -> EngineOutcome:
        outcome = EngineOutcome()
        if self.engine is not None:
            for occurrence in occurrences_of(change):
                outcome.merge(self.engine.handle(occurrence))
            held = bot_held_interaction(change)
            if held is not None:
                outcome.merge(self.engine.release_orphaned_bot(held))
        for wakeup in wakeups_of(change.event_name, change.old, change.new):
            if isinstance(wakeup, RouteInteraction):
                routed = self._after_triggers(wakeup, outcome)
                if routed is not None:
                    self.routing.handle(routed)
            else:
                self.routing.handle(wakeup)
        if outcome.route is not None and not outcome.skip_routing:
            routable = Routable.of(outcome.route)
            if outcome.prefer_agent:
                self.routing.route_to_agent(routable, outcome.prefer_agent)
            else:
                self.routing.route_new(routable)
        return outcome

    def _after_triggers(self, wakeup: RouteInteraction, outcome: EngineOutcome) -> RouteInteraction | None:
        """What routing should do with a new (or requeued) interaction once its triggers ran: nothing when they
        closed it, handed it to a bot or rerouted it themselves; on a replayed record, the interaction as it is
        now (the image may predate what the triggers did on the first delivery)."""
        if outcome.skip_routing or outcome.route is not None:
            return None
        if not outcome.replayed or self.engine is None:
            return wakeup
        current = self.engine.current(wakeup.interaction.id)
        return RouteInteraction(current) if current is not None and _routable(current) else None


def _routable(interaction: Interaction | None) -> bool:
    return bool(
        interaction is not None
        and interaction.status == InteractionStatus.OPEN
        and not interaction.agent_id
        and not interaction.bot
        and interaction.queue_id
    )
