"""Who a WebSocket connection or a page is for: an agent or the supervisor role, until when.

Apart from `smschannel.tokens` (which signs and verifies it with PyJWT): the fan-out and the realtime actions name
a principal but never verify a token, and do not pay for PyJWT and `cryptography` at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    role: str  # "agent" | "supervisor"
    agent_id: str | None
    expires_at: int
    # A signed-in supervisor's username (or a supervisor link's `supervisorId`): the teams whose `supervisorIds`
    # name it scope its dashboard (smschannel.floor.scope); None, or named by no team, is the whole center.
    supervisor_id: str | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def actor(self) -> str:
        """Who did it, as the transcript and the audit name them: `agent:<id>`, or `supervisor`."""
        return f"agent:{self.agent_id}" if self.agent_id else "supervisor"
