"""A freshly started local stack takes a provider's first burst: 50 concurrent signed webhooks, right after `ready`,
all answered 2xx within Twilio's 15 s webhook timeout, none lost, none duplicated, one interaction per phone, and
it still holds less than its memory budget afterwards.

These run before any other test touches the stack (marker `fresh_stack`), so no earlier test has warmed it.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from local.resources import resident, running
from tests.integration.conftest import Stack

BURST = 50
TWILIO_WEBHOOK_TIMEOUT = 15.0
# What `make run` may hold, the emulator and all its workers (RSS summed, the stricter measure: local/resources.py).
RESIDENT_BUDGET = 2.5 * 1024**3


def new_phone() -> str:
    return "+1628555" + str(uuid.uuid4().int % 10000).zfill(4)


def burst(stack: Stack, account: dict, phones: list[str]) -> list[tuple[int, float]]:
    """Every webhook in flight at once; each must be answered within the provider's timeout (else it raises)."""

    def post(index: int) -> tuple[int, float]:
        started = time.monotonic()
        url = f"{stack.http}/webhooks/{account['id']}"
        try:
            status = stack.post_twilio(account, phones[index], f"burst {index}", timeout=TWILIO_WEBHOOK_TIMEOUT)
        except requests.Timeout:
            pytest.fail(f"webhook {index} to {url} not answered within {TWILIO_WEBHOOK_TIMEOUT} s")
        return status.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(post, range(BURST)))


@pytest.mark.fresh_stack
def test_first_burst_of_fifty_webhooks_from_one_phone_is_answered_in_time_into_one_interaction(stack: Stack) -> None:
    assert stack.tests_served == 1, "this test must be the first to use the freshly started stack"
    account = stack.twilio_account()
    phone = new_phone()
    answers = burst(stack, account, [phone] * BURST)
    assert [status for status, _ in answers] == [200] * BURST
    assert max(seconds for _, seconds in answers) < TWILIO_WEBHOOK_TIMEOUT
    [interaction] = stack.interactions(account["id"], phone=phone)
    messages = stack.interaction(interaction["id"])["messages"]
    assert sorted(message["body"] for message in messages) == sorted(f"burst {index}" for index in range(BURST))
    assert interaction["messageCount"] == BURST


@pytest.mark.fresh_stack
def test_first_burst_of_fifty_webhooks_from_fifty_phones_opens_one_interaction_each(stack: Stack) -> None:
    account = stack.twilio_account()
    phones = [new_phone() for _ in range(BURST)]
    while len(set(phones)) < BURST:
        phones = [new_phone() for _ in range(BURST)]
    answers = burst(stack, account, phones)
    assert [status for status, _ in answers] == [200] * BURST
    opened = stack.interactions(account["id"], status="open")
    assert sorted(interaction["phone"] for interaction in opened) == sorted(phones)
    for index in (0, BURST // 2, BURST - 1):
        [interaction] = [found for found in opened if found["phone"] == phones[index]]
        assert [m["body"] for m in stack.interaction(interaction["id"])["messages"]] == [f"burst {index}"]


@pytest.mark.fresh_stack
def test_after_its_first_bursts_the_emulator_and_its_workers_hold_less_than_the_budget(stack: Stack) -> None:
    if stack.state_dir is None:
        pytest.skip("SMS_TEST_ENDPOINTS: the stack under test was not started here, its processes are not ours")
    emulator = running("/local/emulator.py")
    assert emulator is not None, "no emulator process under this one"
    held = resident(emulator)
    assert held.processes > 1, "the emulator runs no worker: the warm-up did not happen"
    assert held.rss_bytes < RESIDENT_BUDGET, held.describe()
