"""Pre-warming: an invocation with WARMUP_EVENT initialises an execution environment and does nothing else.

Provisioned concurrency does this in AWS; the local stack (local/stack.py) does it by invoking each function with
this event from as many concurrent callers as it wants warm environments, before it reports `ready`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

WARMUP_KEY = "smsChannelWarmup"
WARMUP_EVENT = {WARMUP_KEY: True}

Handler = Callable[[Any, Any], Any]


def is_warmup(event: Any) -> bool:
    return isinstance(event, dict) and event.get(WARMUP_KEY) is True


def answers_warmup(handler: Handler) -> Handler:
    """Wrap a Lambda handler so a warm-up invocation returns at once (no logging, metrics or trace of it)."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        if is_warmup(event):
            return {"warm": True}
        return handler(event, context)

    return wrapper
