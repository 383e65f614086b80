"""What an interaction's change means for agents, supervisors and the dashboard counters."""

from __future__ import annotations

from typing import Any

import pytest

from smschannel.realtime.changes import agent_changed, interaction_change, message_status_changed

CREATED = "2026-01-01T10:00:00.000Z"


def interaction(**fields: Any) -> dict[str, Any]:
    return {"id": "i-1", "accountId": "acc", "queueId": "support", "status": "open", "createdAt": CREATED, **fields}


def test_a_new_waiting_interaction_counts_open_and_waiting() -> None:
    change = interaction_change(None, interaction(waitingSince=CREATED), 60)
    assert change.opened and change.assigned_to is None
    assert change.queues["support"].open == 1
    assert change.queues["support"].waiting_add == {"i-1": CREATED}
    assert change.accounts == {"acc": 1}


def test_assignment_leaves_the_waiting_list_and_counts_an_answer_within_target() -> None:
    old = interaction(waitingSince=CREATED)
    new = interaction(agentId="agent-1", assignedAt="2026-01-01T10:00:30.000Z")
    change = interaction_change(old, new, 60)
    assert change.assigned_to == "agent-1"
    delta = change.queues["support"]
    assert (delta.open, delta.waiting_remove, delta.answered, delta.answered_in_target) == (0, {"i-1"}, 1, 1)
    assert change.accounts == {}


def test_an_answer_after_the_target_counts_as_answered_but_not_in_target() -> None:
    new = interaction(agentId="agent-1", assignedAt="2026-01-01T10:02:00.000Z")
    delta = interaction_change(interaction(), new, 60).queues["support"]
    assert (delta.answered, delta.answered_in_target) == (1, 0)


def test_close_goes_to_the_assigned_agent_and_releases_the_counters() -> None:
    old = interaction(agentId="agent-1", assignedAt=CREATED)
    change = interaction_change(old, {**old, "status": "closed"}, 60)
    assert change.closed and change.closed_for == "agent-1"
    assert change.queues["support"].open == -1
    assert change.accounts == {"acc": -1}


def test_closing_a_waiting_interaction_removes_it_from_the_waiting_list() -> None:
    old = interaction(waitingSince=CREATED)
    change = interaction_change(old, {**old, "status": "closed"}, 60)
    assert change.closed_for is None
    assert change.queues["support"].waiting_remove == {"i-1"}


def test_requeue_takes_the_interaction_from_its_agent() -> None:
    old = interaction(agentId="agent-1", assignedAt=CREATED)
    new = interaction(waitingSince="2026-01-01T10:05:00.000Z")
    change = interaction_change(old, new, 60)
    assert change.unassigned_from == "agent-1" and change.assigned_to is None
    assert change.queues["support"].waiting_add == {"i-1": "2026-01-01T10:05:00.000Z"}


def test_transfer_to_another_agent_tells_both() -> None:
    old = interaction(agentId="agent-1", assignedAt=CREATED)
    change = interaction_change(old, {**old, "agentId": "agent-2"}, 60)
    assert (change.unassigned_from, change.assigned_to) == ("agent-1", "agent-2")


def test_overflow_moves_the_waiter_and_the_open_count_between_queues() -> None:
    old = interaction(waitingSince=CREATED)
    change = interaction_change(old, {**old, "queueId": "overflow"}, 60)
    assert change.queues["support"].open == -1 and change.queues["support"].waiting_remove == {"i-1"}
    assert change.queues["overflow"].open == 1 and change.queues["overflow"].waiting_add == {"i-1": CREATED}


@pytest.mark.parametrize("fields", [{"lastMessageAt": "x", "messageCount": 2}, {"agentReadAt": "x"}])
def test_bookkeeping_updates_mean_nothing(fields: dict[str, Any]) -> None:
    old = interaction(agentId="agent-1", assignedAt=CREATED)
    assert not interaction_change(old, {**old, **fields}, 60).matters


def test_message_status_and_agent_changes() -> None:
    assert message_status_changed({"status": "queued"}, {"status": "sent"})
    assert not message_status_changed({"status": "sent"}, {"status": "sent"})
    assert not message_status_changed(None, {"status": "sent"})
    assert agent_changed({"status": "ready", "load": 0}, {"status": "ready", "load": 1})
    assert not agent_changed({"status": "ready", "lastAssignedAt": "a"}, {"status": "ready", "lastAssignedAt": "b"})
