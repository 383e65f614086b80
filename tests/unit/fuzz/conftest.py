"""Hypothesis profiles for the property tests: `ci` (the default, in `make test`: a bounded, derandomized example
count so CI is reproducible and quick) and `fuzz` (`make fuzz`: many more, random each run). A failure prints the
smallest example Hypothesis found; `fuzz` keeps its database in .hypothesis/ so a found failure is replayed first."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# The handler-level properties reuse one moto world per test (building one per example would cost seconds each);
# every property compares what changed across its own example, never absolute counts.
_SHARED_WORLD = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=_SHARED_WORLD
)
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=_SHARED_WORLD)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
