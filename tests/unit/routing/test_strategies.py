"""Each strategy's order of candidate agents (pure functions, no table)."""

from __future__ import annotations

import random

from smschannel.models import STRATEGIES
from smschannel.routing.balance import least_busy, longest_idle
from smschannel.routing.candidates import Candidate, RoutingContext
from smschannel.routing.random_pick import random_order
from smschannel.routing.ring_all import ring_all
from smschannel.routing.round_robin import round_robin
from smschannel.routing.strategies import STRATEGY_ORDER, strategy_for


def ids(candidates: list[Candidate]) -> list[str]:
    return [candidate.agent_id for candidate in candidates]


def agents(*specs: tuple[str, int, int, str | None]) -> list[Candidate]:
    return [Candidate(agent_id, load, capacity, last) for agent_id, load, capacity, last in specs]


FOUR = agents(("a", 0, 3, None), ("b", 0, 3, None), ("c", 0, 3, None), ("d", 0, 3, None))


def test_every_configurable_strategy_is_registered_under_its_exact_name() -> None:
    assert set(STRATEGY_ORDER) == set(STRATEGIES) == {"ring-all", "round-robin", "least-busy", "longest-idle", "random"}


def test_round_robin_resumes_after_the_last_agent_served_in_member_order() -> None:
    context = RoutingContext(members=("c", "a", "d", "b"), last_served="a")
    assert ids(round_robin(FOUR, context)) == ["d", "b", "c", "a"]


def test_round_robin_wraps_around_and_starts_at_the_first_member_without_memory() -> None:
    assert ids(round_robin(FOUR, RoutingContext(members=("a", "b", "c", "d"), last_served="d"))) == list("abcd")
    assert ids(round_robin(FOUR, RoutingContext(members=("b", "a", "c", "d")))) == list("bacd")


def test_round_robin_skips_members_that_are_not_candidates_but_keeps_their_place() -> None:
    # b (last served) is not ready now: the next is still c, not the start of the ring.
    candidates = [c for c in FOUR if c.agent_id != "b"]
    assert ids(round_robin(candidates, RoutingContext(members=("a", "b", "c", "d"), last_served="b"))) == list("cda")


def test_round_robin_forgets_a_pointer_to_an_agent_no_longer_in_the_queue() -> None:
    assert ids(round_robin(FOUR, RoutingContext(members=("a", "b", "c", "d"), last_served="zed"))) == list("abcd")


def test_least_busy_orders_by_load_relative_to_capacity_then_load_then_idle_time() -> None:
    candidates = agents(
        ("full-ish", 4, 5, None),  # 0.8
        ("half-big", 5, 10, "2024-01-01T00:00:02.000Z"),  # 0.5, load 5
        ("half-small", 1, 2, "2024-01-01T00:00:03.000Z"),  # 0.5, load 1
        ("idle", 0, 1, "2024-01-01T00:00:09.000Z"),  # 0.0
        ("half-small-older", 1, 2, "2024-01-01T00:00:01.000Z"),  # 0.5, load 1, idle longer
    )
    assert ids(least_busy(candidates, RoutingContext())) == [
        "idle",
        "half-small-older",
        "half-small",
        "half-big",
        "full-ish",
    ]


def test_longest_idle_puts_never_assigned_first_then_oldest_last_assignment() -> None:
    candidates = agents(
        ("recent", 0, 3, "2024-01-01T10:00:00.000Z"),
        ("old", 2, 3, "2024-01-01T08:00:00.000Z"),
        ("never", 0, 3, None),
        ("middle", 1, 3, "2024-01-01T09:00:00.000Z"),
    )
    assert ids(longest_idle(candidates, RoutingContext())) == ["never", "old", "middle", "recent"]


def test_ring_all_offers_every_candidate_once_starting_at_a_place_derived_from_the_interaction() -> None:
    orders = {tuple(ids(ring_all(FOUR, RoutingContext(interaction_id=f"int-{n}")))) for n in range(40)}
    for order in orders:
        assert sorted(order) == list("abcd")
        start = order.index("a")
        assert order[start:] + order[:start] == tuple("abcd")  # a rotation of the id order
    assert len(orders) == 4  # concurrent interactions start at different agents


def test_ring_all_is_stable_for_one_interaction_so_a_redelivered_record_tries_the_same_order() -> None:
    context = RoutingContext(interaction_id="int-42")
    assert ring_all(FOUR, context) == ring_all(list(reversed(FOUR)), context)


def test_random_is_a_seeded_shuffle_of_all_candidates() -> None:
    first = ids(random_order(FOUR, RoutingContext(rng=random.Random(7))))
    again = ids(random_order(list(reversed(FOUR)), RoutingContext(rng=random.Random(7))))
    assert first == again and sorted(first) == list("abcd")
    firsts = {ids(random_order(FOUR, RoutingContext(rng=random.Random(seed))))[0] for seed in range(50)}
    assert firsts == set("abcd")


def test_no_candidates_gives_an_empty_order_for_every_strategy() -> None:
    for name in STRATEGIES:
        assert strategy_for(name)([], RoutingContext(members=("a",), last_served="a", interaction_id="i")) == []


def test_an_unknown_strategy_name_falls_back_to_round_robin() -> None:
    assert strategy_for("nonsense") is round_robin
