"""Pure rules of the outbound path: opt-out keywords per account, retry delays, senders."""

from __future__ import annotations

import pytest

from smschannel.errors import InvalidMessage
from smschannel.models import Account
from smschannel.optouts import Keyword, OptOutPolicy
from smschannel.outbound.sender import BACKOFF_CAP_SECONDS, retry_delay
from smschannel.outbound.service import _check_sender


def account(**options: object) -> Account:
    return Account(id="a", name="Acme", provider="twilio", phone_number="+15005550006", options=options)


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", Keyword.STOP),
        ("  stop\n", Keyword.STOP),
        ("StopAll", Keyword.STOP),
        ("unsubscribe", Keyword.STOP),
        ("cancel", Keyword.STOP),
        ("END", Keyword.STOP),
        ("quit", Keyword.STOP),
        ("start", Keyword.START),
        ("UNSTOP", Keyword.START),
        ("yes", Keyword.START),
        ("help", Keyword.HELP),
        ("stop please", None),
        ("please stop", None),
        ("", None),
    ],
)
def test_default_keywords_are_whole_messages_case_and_spaces_ignored(body: str, keyword: Keyword | None) -> None:
    assert OptOutPolicy.of(account()).keyword(body) == keyword


def test_keywords_and_texts_come_from_the_account_options() -> None:
    policy = OptOutPolicy.of(account(optOut={"stopKeywords": ["arret"], "helpText": "{accountName} aide"}))
    assert policy.keyword("ARRET") == Keyword.STOP and policy.keyword("stop") is None
    assert policy.texts[Keyword.HELP] == "Acme aide"
    assert policy.texts[Keyword.STOP].startswith("You are unsubscribed from Acme")


def test_opt_out_handling_can_be_turned_off() -> None:
    assert OptOutPolicy.of(account(optOut={"enabled": False})).keyword("STOP") is None


def test_retry_delay_honours_retry_after_else_backs_off_exponentially_with_jitter() -> None:
    assert retry_delay(1, 7.0) == 7.0
    assert retry_delay(3, 10_000.0) == BACKOFF_CAP_SECONDS
    for attempt, ceiling in ((1, 2.0), (2, 4.0), (3, 8.0), (12, BACKOFF_CAP_SECONDS)):
        delays = [retry_delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 1  # jittered


@pytest.mark.parametrize("sender", ["agent:agent-1", "trigger:t1", "admin", "bot", "system"])
def test_known_senders_are_accepted(sender: str) -> None:
    _check_sender(sender)


@pytest.mark.parametrize("sender", ["agent:", "someone", "", "trigger"])
def test_unknown_senders_are_refused_naming_the_field(sender: str) -> None:
    with pytest.raises(InvalidMessage) as refused:
        _check_sender(sender)
    assert refused.value.field == "sender"


def test_opt_out_texts_use_the_auto_replies_placeholder_syntax() -> None:
    policy = OptOutPolicy.of(account(optOut={"stopText": "{{accountName}}: no more, {{ accountName }}."}))
    assert policy.texts[Keyword.STOP] == "Acme: no more, Acme."
    assert policy.texts[Keyword.HELP] == "Acme: reply STOP to unsubscribe, START to subscribe again."
