"""Signed, expiring tokens for the WebSocket and the pages: standard JWTs (PyJWT, HS256) naming an agent or the
supervisor role. Claims: `sub` (the agent id, or "supervisor"), `role`, `aud`, `iat`, `exp`, and for a supervisor
scoped to teams `supervisorId`."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt

from smschannel.errors import Unauthorized
from smschannel.principal import Principal

DEFAULT_TTL_SECONDS = 12 * 3600
AUDIENCE = "sms-channel:realtime"
ALGORITHM = "HS256"
ROLES = ("agent", "supervisor")
SUPERVISOR_SUBJECT = "supervisor"


def derive_signing_key(secret: str) -> str:
    """A key of its own for tokens, derived from a stored secret (the admin token), never the secret itself."""
    return hmac.new(secret.encode(), b"sms-channel realtime tokens", hashlib.sha256).hexdigest()


def issue_token(
    key: str,
    role: str,
    agent_id: str | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    supervisor_id: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role == "agent" and not agent_id:
        raise ValueError("an agent token names its agent")
    now = int(time.time())
    claims = {
        "sub": agent_id if role == "agent" else SUPERVISOR_SUBJECT,
        "role": role,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if role == "supervisor" and supervisor_id:
        claims["supervisorId"] = supervisor_id
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def verify_token(key: str, token: str | None) -> Principal:
    """The token's principal; Unauthorized (with the reason) when missing, forged, expired or not ours."""
    if not token:
        raise Unauthorized("missing token")
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], audience=AUDIENCE, options={"require": ["sub", "role", "exp", "aud"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("token expired") from exc
    except jwt.InvalidSignatureError as exc:
        raise Unauthorized("token signature is wrong") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"token refused: {exc}") from exc
    role = claims["role"]
    if role not in ROLES:
        raise Unauthorized("token has no known role")
    agent_id = str(claims["sub"]) if role == "agent" else None
    supervisor_id = str(claims["supervisorId"]) if role == "supervisor" and claims.get("supervisorId") else None
    return Principal(role=role, agent_id=agent_id, expires_at=int(claims["exp"]), supervisor_id=supervisor_id)
