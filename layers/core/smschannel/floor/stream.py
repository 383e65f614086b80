"""What the floor adds to the table stream's domain consumer: blocked numbers screened before triggers and routing,
wrap-up timers started after them, and the sweep's safety net for wrap-ups whose timer was lost."""

from __future__ import annotations

from smschannel.floor.blocklist import BlockListScreen
from smschannel.floor.wrapup import WrapUpService, WrapUpTimers
from smschannel.stream import StreamChange


class FloorOnStream:
    def __init__(self, screen: BlockListScreen, timers: WrapUpTimers, wrap_up: WrapUpService) -> None:
        self.screen_blocked = screen
        self.timers = timers
        self.wrap_up = wrap_up

    def screen(self, change: StreamChange) -> bool:
        """True when triggers and routing must not see this change (a blocked number's)."""
        return self.screen_blocked.screen(change)

    def after(self, change: StreamChange) -> None:
        self.timers.on_change(change)

    def sweep(self) -> int:
        return self.wrap_up.sweep()
