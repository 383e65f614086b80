"""Short-lived signed tokens for the WebSocket and the pages: an agent's or a supervisor's."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from smschannel.errors import Unauthorized

DEFAULT_TTL_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Principal:
    role: str  # "agent" | "supervisor"
    agent_id: str | None
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(key: str, role: str, agent_id: str | None = None, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
    claims = {"role": role, "agentId": agent_id, "exp": int(time.time()) + ttl_seconds}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify_token(key: str, token: str | None) -> Principal:
    if not token or token.count(".") != 1:
        raise Unauthorized("missing or malformed token")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise Unauthorized("token signature is wrong")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError as exc:
        raise Unauthorized("token payload is unreadable") from exc
    if int(claims.get("exp", 0)) < time.time():
        raise Unauthorized("token expired")
    if claims.get("role") not in {"agent", "supervisor"}:
        raise Unauthorized("token has no known role")
    return Principal(role=claims["role"], agent_id=claims.get("agentId"), expires_at=int(claims["exp"]))
