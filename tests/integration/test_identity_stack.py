"""Sign-in on the deployed local stack: the demo users sign in with InitiateAuth against the emulator's Cognito,
each role calls the admin API (the function verifies the pool's RS256 tokens through its JWKS), a machine uses
client credentials, the audit names who changed a queue, and a WebSocket ticket opens exactly one connection."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import requests
import websockets

from tests.integration.conftest import Stack
from tests.integration.harness import Client, stack_client


def cognito(stack: Stack) -> Any:
    return stack_client(stack, "cognito-idp", stack.auth["cognitoEndpoint"])


def sign_in(stack: Stack, name: str) -> str:
    """The demo user's access token (USER_PASSWORD_AUTH, allowed in the local stage only)."""
    user = stack.auth["users"][name]
    answer = cognito(stack).initiate_auth(
        ClientId=stack.auth["clientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )
    return str(answer["AuthenticationResult"]["AccessToken"])


def machine_token(stack: Stack, scope: str) -> str:
    client = cognito(stack).describe_user_pool_client(
        UserPoolId=stack.auth["userPoolId"], ClientId=stack.auth["machineClientId"]
    )["UserPoolClient"]
    response = requests.post(
        f"{stack.auth['cognitoEndpoint']}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client["ClientId"], client["ClientSecret"]),
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def call(stack: Stack, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return stack.session.request(method, f"{stack.http}{path}", headers=headers, timeout=60, **kwargs)


def test_each_role_gets_what_the_roles_table_says(stack: Stack) -> None:
    assert set(stack.auth["users"]) == {"admin", "supervisor", "agent-1", "agent-2"}
    admin, supervisor, agent = sign_in(stack, "admin"), sign_in(stack, "supervisor"), sign_in(stack, "agent-1")
    queue = f"q-{uuid.uuid4().hex[:8]}"

    assert call(stack, "PUT", f"/admin/queues/{queue}", admin, json={"name": "Signed in"}).status_code == 201
    for method, path in [("GET", "/admin/queues"), ("GET", "/admin/interactions"), ("PUT", f"/admin/queues/{queue}")]:
        refused = call(stack, method, path, agent, json={"name": "x"})
        assert refused.status_code == 403, (method, path)
        assert refused.json()["error"] == "forbidden"
    assert call(stack, "GET", "/admin/interactions", supervisor).status_code == 200
    assert call(stack, "PUT", f"/admin/queues/{queue}", supervisor, json={"name": "x"}).status_code == 403
    assert call(stack, "GET", "/admin/queues", "not-a-token").status_code == 401
    assert call(stack, "GET", "/admin/queues", agent[:-4] + "AAAA").status_code == 401

    reader = machine_token(stack, "sms-channel/admin.read")
    assert call(stack, "GET", f"/admin/queues/{queue}", reader).status_code == 200
    assert call(stack, "PUT", f"/admin/queues/{queue}", reader, json={"name": "x"}).status_code == 403

    trail = call(stack, "GET", "/admin/audit", admin, params={"resource": f"queue/{queue}"})
    assert trail.status_code == 200
    [created] = trail.json()["items"]
    assert (created["actor"], created["action"]) == ("admin", "queue.created")
    assert created["changes"]["name"] == {"before": None, "after": "Signed in"}
    assert call(stack, "GET", "/admin/audit", supervisor).status_code == 403


def test_a_ticket_opens_one_websocket_connection(stack: Stack) -> None:
    asyncio.run(ticket_scenario(stack))


async def ticket_scenario(stack: Stack) -> None:
    assert stack.ws
    agent = await asyncio.to_thread(sign_in, stack, "agent-2")
    assert stack.session.post(f"{stack.http}/realtime/tickets", timeout=30).status_code == 401
    issued = call(stack, "POST", "/realtime/tickets", agent)
    assert issued.status_code == 201, issued.text
    ticket = issued.json()
    assert ticket["expiresIn"] <= 60

    client = Client(await websockets.connect(f"{stack.ws}?ticket={ticket['ticket']}", open_timeout=30))
    try:
        await client.send(action="setStatus", status="ready")
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(f"{stack.ws}?ticket={ticket['ticket']}", open_timeout=30)
    finally:
        await client.close()
    # A non-browser client connects with its access token.
    direct = await websockets.connect(f"{stack.ws}?token={agent}", open_timeout=30)
    await direct.close()
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(f"{stack.ws}?ticket=made-up", open_timeout=30)
