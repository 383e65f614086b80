from __future__ import annotations

import time

import pytest

from smschannel.errors import Unauthorized
from smschannel.tokens import issue_token, verify_token


def test_agent_token_round_trips() -> None:
    principal = verify_token("key", issue_token("key", "agent", "agent-1"))
    assert (principal.role, principal.agent_id) == ("agent", "agent-1")
    assert principal.expires_at > time.time()


def test_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(Unauthorized):
        verify_token("key", issue_token("other", "supervisor"))


def test_expired_token_is_refused() -> None:
    with pytest.raises(Unauthorized, match="expired"):
        verify_token("key", issue_token("key", "supervisor", ttl_seconds=-1))


@pytest.mark.parametrize("token", [None, "", "abc", "a.b.c"])
def test_malformed_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(Unauthorized):
        verify_token("key", token)


def test_tampered_payload_is_refused() -> None:
    payload, signature = issue_token("key", "agent", "agent-1").split(".")
    forged = issue_token("key", "agent", "agent-2").split(".")[0]
    with pytest.raises(Unauthorized):
        verify_token("key", f"{forged}.{signature}")
    assert payload != forged
