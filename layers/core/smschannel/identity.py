"""Who is calling: a Cognito access token (a person in the pool's groups, or a machine with scopes), verified
against the pool's JWKS, or the static admin token while break-glass is enabled (docs/identity.md).

Only RS256 tokens of this pool's issuer and clients are accepted, `token_use` access, unexpired: `alg: none`, an
HS256 token signed with the pool's public key, an ID token, another pool's or another client's are refused.
What each caller may do per route: smschannel.access.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt

from smschannel.errors import Forbidden, IdentityUnavailable, Unauthorized

ALGORITHM = "RS256"
# The pool's groups and the role each grants (a user in several gets the strongest).
GROUP_ROLES = {"admins": "admin", "supervisors": "supervisor", "agents": "agent"}
ROLE_ORDER = ("admin", "supervisor", "agent")
SCOPE_READ = "sms-channel/admin.read"
SCOPE_WRITE = "sms-channel/admin.write"
BREAK_GLASS = "break-glass"
AGENT_ID_CLAIM = "custom:agentId"


@dataclass(frozen=True)
class Caller:
    """A verified caller. `actor` is who the audit trail names: the username, `client:<id>` or `break-glass`."""

    kind: Literal["user", "machine", "break-glass"]
    actor: str
    subject: str
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    agent_id: str | None = None
    expires_at: int = 0
    client_id: str | None = field(default=None, compare=False)

    @property
    def role(self) -> str | None:
        """The strongest of the caller's roles (None for a machine)."""
        return next((role for role in ROLE_ORDER if role in self.roles), None)


BREAK_GLASS_CALLER = Caller(kind="break-glass", actor=BREAK_GLASS, subject=BREAK_GLASS, roles=frozenset({"admin"}))


class AccessTokenVerifier:
    """Cognito access tokens of one pool and its clients; the signing keys fetched from `jwks_url` once and cached
    (PyJWKClient), so a warm function verifies a token without a network call."""

    def __init__(
        self, issuer: str, jwks_url: str, client_ids: Collection[str], jwks_client: jwt.PyJWKClient | None = None
    ) -> None:
        self.issuer = issuer
        self.client_ids = frozenset(client_ids)
        self.jwks = jwks_client or jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def verify(self, token: str | None) -> Caller:
        if not token:
            raise Unauthorized("missing token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("the token is not a JWT") from exc
        # Checked before any key is looked at: `none` and HMAC tokens never reach a verifier.
        if header.get("alg") != ALGORITHM:
            raise Unauthorized("the token is not signed RS256")
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError) as exc:
            # Unreachable, or a JWKS with no usable key: nobody can be verified for now.
            raise IdentityUnavailable("the user pool's signing keys cannot be fetched; try again") from exc
        except jwt.PyJWKClientError as exc:
            raise Unauthorized("the token is not signed by the user pool") from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={"require": ["exp", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"token refused: {exc}") from exc
        if claims["token_use"] != "access":  # noqa: S105 (a claim's value, not a secret)
            raise Unauthorized("not an access token")
        if claims["client_id"] not in self.client_ids:
            raise Unauthorized("the token is not for this application")
        return caller_of(claims)


def caller_of(claims: dict[str, Any]) -> Caller:
    """The caller a verified access token names: a user (groups -> roles) or a machine (client credentials)."""
    client_id = str(claims["client_id"])
    expires_at = int(claims["exp"])
    username = claims.get("username") or claims.get("cognito:username")
    if not username:
        scopes = frozenset(str(claims.get("scope") or "").split())
        return Caller(
            kind="machine",
            actor=f"client:{client_id}",
            subject=client_id,
            scopes=scopes,
            expires_at=expires_at,
            client_id=client_id,
        )
    roles = frozenset(GROUP_ROLES[group] for group in claims.get("cognito:groups") or [] if group in GROUP_ROLES)
    # An access token carries no custom attributes unless a pre-token-generation trigger adds the claim: an
    # agent user's username is its agent id otherwise (docs/identity.md).
    agent_id = str(claims.get(AGENT_ID_CLAIM) or username) if "agent" in roles else None
    return Caller(
        kind="user",
        actor=str(username),
        subject=str(claims["sub"]),
        roles=roles,
        agent_id=agent_id,
        expires_at=expires_at,
        client_id=client_id,
    )


class Authenticator:
    """`Authorization: Bearer <token>` -> the Caller; Unauthorized (401) when missing or not valid."""

    def __init__(self, verifier: AccessTokenVerifier | None, break_glass_token: Callable[[], str] | None) -> None:
        self.verifier = verifier
        self.break_glass_token = break_glass_token

    def authenticate(self, authorization: str | None) -> Caller:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("missing bearer token")
        if self.break_glass_token is not None and hmac.compare_digest(
            token.encode(), self.break_glass_token().encode()
        ):
            return BREAK_GLASS_CALLER
        if token.count(".") != 2:
            raise Unauthorized("missing or wrong bearer token")
        if self.verifier is None:
            raise Unauthorized("sign-in is not configured (AUTH_ISSUER)")
        return self.verifier.verify(token)


def websocket_role(caller: Caller) -> tuple[str, str | None]:
    """The WebSocket principal a signed-in user connects as: an agent as its agent, a supervisor or admin as a
    supervisor (the dashboard). Forbidden for a machine or a user in no group."""
    if caller.kind == "machine":
        raise Forbidden("machine clients do not connect to the WebSocket")
    if caller.roles & {"admin", "supervisor"}:
        return "supervisor", None
    if "agent" in caller.roles and caller.agent_id:
        return "agent", caller.agent_id
    raise Forbidden("the user is in no group of this application")
