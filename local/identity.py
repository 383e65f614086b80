"""The local stack's people: the deploy parameters of its user pool and the demo users signed in with.

`make run` deploys the template's Cognito user pool into the emulator (break-glass on, MFA off, the JWKS fetched
from the emulator) and creates four demo users with generated passwords, each in its group: `admin`,
`supervisor`, `agent-1` and `agent-2` (an agent user's username is its agent id, and `custom:agentId` says so too).
`endpoints.json` `auth` carries the pool, the pages' client and the users, so scripts sign in with InitiateAuth
(USER_PASSWORD_AUTH, allowed in the local stage only) against `cognitoEndpoint`.
"""

from __future__ import annotations

import contextlib
import secrets
import string
from typing import Any

import boto3

from local.demo_config import DEMO_AGENTS

# Username -> group; agents also carry their agent id.
DEMO_USERS: dict[str, str] = {"admin": "admins", "supervisor": "supervisors", **dict.fromkeys(DEMO_AGENTS, "agents")}


def deploy_overrides(endpoint: str) -> list[str]:
    """The identity parameters of `sam deploy --config-env local` (the CLI's overrides replace samconfig's)."""
    return ["BreakGlassAdminToken=enabled", "Mfa=OFF", f"CognitoEndpoint={endpoint}"]


def generated_password() -> str:
    """Random, and within the pool's policy (12+ characters with lower, upper case and digits)."""
    alphabet = string.ascii_letters + string.digits
    body = "".join(secrets.choice(alphabet) for _ in range(16))
    return f"Aa1-{body}"


def create_demo_users(endpoint: str, outputs: dict[str, str]) -> dict[str, Any]:
    """The demo users (created, or their passwords reset when they exist) and endpoints.json's `auth`."""
    cognito = boto3.client("cognito-idp")
    pool_id = outputs["UserPoolId"]
    users: dict[str, dict[str, str]] = {}
    for username, group in DEMO_USERS.items():
        password = generated_password()
        attributes = [{"Name": "custom:agentId", "Value": username}] if group == "agents" else []
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):  # a reused emulator state
            cognito.admin_create_user(
                UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS"
            )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        users[username] = {"username": username, "password": password}
    return {
        "userPoolId": pool_id,
        "clientId": outputs["PagesClientId"],
        "machineClientId": outputs["MachineClientId"],
        "issuer": outputs["AuthIssuer"],
        "cognitoEndpoint": endpoint,
        "users": users,
    }


def sign_in_lines(http: str, auth: dict[str, Any]) -> list[str]:
    """What `make run` prints: the pages (no token in their URLs: they sign in) and each demo user's sign-in."""
    pages = {"Desktop:": "agent", "Dashboard:": "dashboard", "Reports:": "reports"}
    lines = [f"{label:<12} {http}/{page}" for label, page in pages.items()]
    return lines + [f"{name + ':':<12} {user['username']} / {user['password']}" for name, user in auth["users"].items()]
