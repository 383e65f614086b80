from __future__ import annotations

import time

import jwt
import pytest

from smschannel.errors import Unauthorized
from smschannel.tokens import AUDIENCE, derive_signing_key, issue_token, verify_token

KEY = derive_signing_key("local-admin-token")


def test_agent_token_round_trips() -> None:
    principal = verify_token(KEY, issue_token(KEY, "agent", "agent-1"))
    assert (principal.role, principal.agent_id) == ("agent", "agent-1")
    assert principal.expires_at > time.time()


def test_tokens_are_standard_jwts_with_sub_role_aud_exp() -> None:
    token = issue_token(KEY, "agent", "agent-1", ttl_seconds=60)
    claims = jwt.decode(token, KEY, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["sub"] == "agent-1"
    assert claims["role"] == "agent"
    assert claims["aud"] == AUDIENCE
    assert 55 <= claims["exp"] - time.time() <= 61


def test_supervisor_token_names_no_agent() -> None:
    principal = verify_token(KEY, issue_token(KEY, "supervisor"))
    assert (principal.role, principal.agent_id, principal.is_supervisor) == ("supervisor", None, True)


def test_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(Unauthorized, match="signature"):
        verify_token(KEY, issue_token(derive_signing_key("another"), "supervisor"))


def test_expired_token_is_refused() -> None:
    with pytest.raises(Unauthorized, match="expired"):
        verify_token(KEY, issue_token(KEY, "supervisor", ttl_seconds=-1))


def test_token_for_another_audience_is_refused() -> None:
    token = jwt.encode({"sub": "agent-1", "role": "agent", "aud": "other", "exp": time.time() + 60}, KEY)
    with pytest.raises(Unauthorized, match="Audience"):
        verify_token(KEY, token)


def test_token_without_role_or_with_unknown_role_is_refused() -> None:
    base = {"sub": "agent-1", "aud": AUDIENCE, "exp": time.time() + 60}
    with pytest.raises(Unauthorized, match="role"):
        verify_token(KEY, jwt.encode(base, KEY))
    with pytest.raises(Unauthorized, match="role"):
        verify_token(KEY, jwt.encode({**base, "role": "admin"}, KEY))


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode({"sub": "x", "role": "supervisor", "aud": AUDIENCE, "exp": time.time() + 60}, None, "none")
    with pytest.raises(Unauthorized):
        verify_token(KEY, token)


@pytest.mark.parametrize("token", [None, "", "abc", "a.b.c", "a.b"])
def test_malformed_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(Unauthorized):
        verify_token(KEY, token)


def test_tampered_payload_is_refused() -> None:
    header, _payload, signature = issue_token(KEY, "agent", "agent-1").split(".")
    forged = issue_token(KEY, "agent", "agent-2").split(".")[1]
    with pytest.raises(Unauthorized):
        verify_token(KEY, f"{header}.{forged}.{signature}")


def test_derived_key_differs_from_its_secret() -> None:
    assert derive_signing_key("s") != "s"
    assert derive_signing_key("s") == derive_signing_key("s")
    assert len(derive_signing_key("s")) == 64
