"""The harness's reading of template.yaml's FilterCriteria lets through what the event source mappings let through:
a test fed a record the mapping would drop (or starved of one it would deliver) would prove nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.component.harness import FANOUT_FILTER, TRIGGERS_FILTER, matches_pattern


def record(event: str, **image: str) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": {"pk": {"S": "X"}, "sk": {"S": "Y"}}}
    if event != "REMOVE":
        change["NewImage"] = {name: {"S": value} for name, value in image.items()}
    return {"eventName": event, "dynamodb": change}


def test_the_domain_consumer_gets_interactions_agents_customers_messages_and_new_queued_replies_only() -> None:
    assert TRIGGERS_FILTER(record("INSERT", entity="interaction"))
    assert TRIGGERS_FILTER(record("MODIFY", entity="agent"))
    assert TRIGGERS_FILTER(record("INSERT", entity="message", direction="in"))
    assert TRIGGERS_FILTER(record("INSERT", entity="message", direction="out", status="queued"))
    assert not TRIGGERS_FILTER(record("MODIFY", entity="message", direction="out", status="queued"))
    assert not TRIGGERS_FILTER(record("INSERT", entity="message", direction="out", status="sent"))
    assert not TRIGGERS_FILTER(record("INSERT", entity="message", direction="out"))
    assert not TRIGGERS_FILTER(record("MODIFY", entity="message", direction="in"))
    assert not TRIGGERS_FILTER(record("INSERT", entity="connection"))
    assert not TRIGGERS_FILTER(record("REMOVE"))


def test_fanout_gets_interactions_messages_and_agents() -> None:
    assert FANOUT_FILTER(record("MODIFY", entity="message", direction="out"))
    assert not FANOUT_FILTER(record("INSERT", entity="session"))


def test_a_rule_the_evaluator_does_not_know_is_refused_rather_than_guessed() -> None:
    with pytest.raises(NotImplementedError):
        matches_pattern({"eventName": [{"prefix": "INS"}]}, {"eventName": "INSERT"})
