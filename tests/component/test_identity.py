"""Sign-in under moto: the admin function's role x route matrix with Cognito-shaped access tokens (RS256, the
pool's keys served as a JWKS over real HTTP and fetched by PyJWKClient), every kind of bad token, machine scopes,
break-glass, WebSocket tickets (single use, expiry) and the audit trail."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from types import ModuleType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from smschannel.access import RULES, SIGNED_IN, rule_for
from smschannel.dynamo import Table
from smschannel.stores.tickets import TicketStore
from tests.conftest import ADMIN_TOKEN, FakeContext, call, http_event, load_function

REGION = "us-east-1"
POOL = "us-east-1_TestPool1"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
PAGES_CLIENT = "pagesclient123"
MACHINE_CLIENT = "machineclient456"
KID = "pool-key-1"
WS_ARN = "arn:aws:execute-api:us-east-1:123456789012:ws123/local/$connect"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JwksServer:
    """The pool's /.well-known/jwks.json on a real local port, counting the fetches."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        self.body = json.dumps({"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}).encode()
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{POOL}/.well-known/jwks.json"

    def close(self) -> None:
        if self.httpd.socket.fileno() != -1:
            self.httpd.shutdown()
            self.httpd.server_close()


@dataclass
class Pool:
    key: rsa.RSAPrivateKey
    jwks: JwksServer

    def token(
        self,
        username: str | None,
        groups: list[str] | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        **overrides: Any,
    ) -> str:
        """An access token as Cognito issues them (a user's, or a machine's when `username` is None)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(uuid.uuid4()) if username else MACHINE_CLIENT,
            "iss": ISSUER,
            "token_use": "access",
            "client_id": PAGES_CLIENT if username else MACHINE_CLIENT,
            "iat": now,
            "exp": now + 900,
            "jti": uuid.uuid4().hex,
            "scope": "aws.cognito.signin.user.admin",
        }
        if username:
            claims["username"] = username
        if groups:
            claims["cognito:groups"] = groups
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": KID})

    def admin(self) -> str:
        return self.token("ada", ["admins"])

    def supervisor(self) -> str:
        return self.token("sam", ["supervisors"])

    def agent(self, agent_id: str = "agent-1") -> str:
        return self.token(agent_id, ["agents"])

    def machine(self, *scopes: str) -> str:
        return self.token(None, scope=" ".join(scopes))


@pytest.fixture
def pool(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Pool]:
    key = new_key()
    jwks = JwksServer(key)
    for name, value in {
        "AUTH_ISSUER": ISSUER,
        "AUTH_JWKS_URL": jwks.url,
        "AUTH_CLIENT_IDS": f"{PAGES_CLIENT},{MACHINE_CLIENT}",
        "CONNECTIONS_ENDPOINT": "https://ws123.execute-api.us-east-1.amazonaws.com/local",
    }.items():
        monkeypatch.setenv(name, value)
    from smschannel.settings import get_settings

    get_settings.cache_clear()
    yield Pool(key, jwks)
    jwks.close()


@pytest.fixture
def fn(pool: Pool) -> ModuleType:
    return load_function("admin")


def request(fn: ModuleType, method: str, path: str, token: str | None, body: Any = None, **query: str) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    status, parsed, _ = call(fn, http_event(method, path, body=body, headers=headers, query=query or None))
    return status, parsed


# Every admin route, with a body the route accepts (what it answers once let in does not matter here).
ROUTES: list[tuple[str, str, Any]] = [
    ("PUT", "/admin/accounts/a1", {"name": "A", "provider": "twilio", "phoneNumber": "+15005550006"}),
    ("GET", "/admin/accounts", None),
    ("GET", "/admin/accounts/a1", None),
    ("DELETE", "/admin/accounts/a1", None),
    ("PUT", "/admin/queues/q1", {"name": "Q"}),
    ("GET", "/admin/queues", None),
    ("GET", "/admin/queues/q1", None),
    ("DELETE", "/admin/queues/q1", None),
    ("PUT", "/admin/agents/x1", {"name": "X"}),
    ("GET", "/admin/agents", None),
    ("GET", "/admin/agents/x1", None),
    ("DELETE", "/admin/agents/x1", None),
    ("PUT", "/admin/accounts/a1/triggers/t1", {"event": "interaction.created", "actions": []}),
    ("GET", "/admin/accounts/a1/triggers", None),
    ("GET", "/admin/accounts/a1/triggers/t1", None),
    ("DELETE", "/admin/accounts/a1/triggers/t1", None),
    ("GET", "/admin/accounts/a1/triggers/t1/runs", None),
    ("GET", "/admin/accounts/a1/optouts", None),
    ("PUT", "/admin/accounts/a1/optouts/%2B15551230000", {}),
    ("DELETE", "/admin/accounts/a1/optouts/%2B15551230000", None),
    ("GET", "/admin/contacts", None),
    ("GET", "/admin/contacts/c1", None),
    ("PUT", "/admin/contacts/c1", {"name": "C"}),
    ("GET", "/admin/interactions", None),
    ("GET", "/admin/interactions/i1", None),
    ("POST", "/admin/interactions/i1/close", {}),
    ("POST", "/admin/interactions/i1/messages", {"body": "hi", "clientMessageId": "m1"}),
    ("POST", "/admin/messages/preview", {"body": "hi"}),
    ("POST", "/admin/tokens", {"role": "supervisor"}),
    ("GET", "/admin/audit", None),
    ("PUT", "/admin/teams/t1", {"name": "T"}),
    ("GET", "/admin/teams", None),
    ("GET", "/admin/teams/t1", None),
    ("DELETE", "/admin/teams/t1", None),
    ("GET", "/admin/settings", None),
    ("PUT", "/admin/settings", {"pauseReasons": ["break"]}),
    ("GET", "/admin/accounts/a1/blocked", None),
    ("GET", "/admin/accounts/a1/blocked/%2B15551230000", None),
    ("PUT", "/admin/accounts/a1/blocked/%2B15551230000", {}),
    ("DELETE", "/admin/accounts/a1/blocked/%2B15551230000", None),
    ("POST", "/admin/interactions/i1/transfer", {"agentId": "x1"}),
    ("POST", "/admin/interactions/i1/wrap-up", {}),
    ("POST", "/admin/interactions/i1/notes", {"body": "a note"}),
    ("POST", "/admin/interactions/i1/summary", None),
    ("GET", "/admin/search", None),
    ("PUT", "/admin/responses/r1", {"shortcut": "hi", "title": "Hi", "text": "Hello"}),
    ("GET", "/admin/responses", None),
    ("GET", "/admin/responses/r1", None),
    ("DELETE", "/admin/responses/r1", None),
    ("POST", "/admin/responses/r1/render", {"interactionId": "i1"}),
    ("GET", "/admin/reports/r1", None),
    ("GET", "/admin/reports/jobs/j1", None),
    ("POST", "/admin/exports", {"report": "calls"}),  # refused (422) before Athena runs
]
# The POSTs without side effects, which the read scope opens (access.py's `reads`).
READ_ONLY_POSTS = ("/admin/messages/preview", "/admin/responses/r1/render", "/admin/exports")
SUPERVISOR_ROUTES = {
    (method, path)
    for method, path, _ in ROUTES
    if any(rule.matches(method, path) and "supervisor" in rule.roles for rule in RULES)
}
# The desk's reads an agent may call (canned replies, history, search, notes, a contact's name and tags).
AGENT_ROUTES = {(method, path) for method, path, _ in ROUTES if rule_for(method, path).roles == SIGNED_IN}


def test_the_matrix_lists_every_admin_route_of_the_function(fn: ModuleType) -> None:
    schema = fn.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    declared = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/admin")
        for method in operations
    }

    def template(path: str) -> str:
        return "/".join("*" if "{" in part else part for part in path.split("/"))

    listed = {
        (
            method,
            "/".join(
                "*" if part in {"a1", "q1", "x1", "t1", "c1", "i1", "r1", "j1"} or "%2B" in part else part
                for part in path.split("/")
            ),
        )
        for method, path, _ in ROUTES
    }
    assert {(method, template(path)) for method, path in declared} == listed


def bad_tokens(pool: Pool) -> dict[str, str]:
    public_pem = pool.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    claims = {
        "sub": "x",
        "iss": ISSUER,
        "token_use": "access",
        "client_id": PAGES_CLIENT,
        "username": "ada",
        "cognito:groups": ["admins"],
        "exp": now + 900,
    }
    unsigned = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode()).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        + "."
    )
    # PyJWT refuses to sign HS256 with a PEM key, so the classic key-confusion token is assembled by hand.
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signature = hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest()
    confused = (header + b"." + payload + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    return {
        "forged (another key, the pool's kid)": pool.token("ada", ["admins"], key=new_key()),
        "expired": pool.token("ada", ["admins"], exp=now - 60, iat=now - 1000),
        "another pool": pool.token("ada", ["admins"], iss=ISSUER.replace("TestPool1", "OtherPool")),
        "another app client": pool.token("ada", ["admins"], client_id="someoneelse"),
        "an ID token": pool.token("ada", ["admins"], token_use="id"),
        "alg none": unsigned,
        "HS256 signed with the public key": confused,
        "not a JWT": "garbage",
    }


def test_every_admin_route_refuses_a_missing_or_bad_token_with_401(fn: ModuleType, pool: Pool) -> None:
    for method, path, body in ROUTES:
        status, answer = request(fn, method, path, None, body)
        assert status == 401, (method, path)
        assert answer["error"] == "unauthorized"
    for name, token in bad_tokens(pool).items():
        for method, path, body in ROUTES:
            status, answer = request(fn, method, path, token, body)
            assert status == 401, (name, method, path, answer)
            assert set(answer) == {"error", "message", "field"}


def test_an_agent_gets_403_on_every_admin_route_but_the_desks_reads(fn: ModuleType, pool: Pool) -> None:
    token = pool.agent()
    assert AGENT_ROUTES  # canned replies and their rendering, history, search, notes, contacts' names
    for method, path, body in ROUTES:
        status, answer = request(fn, method, path, token, body)
        if (method, path) in AGENT_ROUTES:
            # Let through the gate; the route may still limit an agent (history needs contactId: a 403 of its own).
            gated = status == 403 and answer["message"].startswith("this route is for")
            assert status != 401 and not gated, (method, path, answer)
        else:
            assert (status, answer["error"]) == (403, "forbidden"), (method, path)


def test_a_supervisor_reaches_its_routes_only(fn: ModuleType, pool: Pool) -> None:
    token = pool.supervisor()
    assert SUPERVISOR_ROUTES  # reading interactions and contacts, closing, replying, opt-out lists, preview
    for method, path, body in ROUTES:
        status, _ = request(fn, method, path, token, body)
        if (method, path) in SUPERVISOR_ROUTES:
            assert status not in (401, 403), (method, path)
        else:
            assert status == 403, (method, path)


def test_an_admin_and_the_break_glass_token_reach_every_route(fn: ModuleType, pool: Pool) -> None:
    for token in (pool.admin(), ADMIN_TOKEN):
        for method, path, body in ROUTES:
            status, _ = request(fn, method, path, token, body)
            assert status not in (401, 403), (method, path)
    assert pool.jwks.fetches == 1  # the keys are cached across requests


def test_a_machine_gets_what_its_scopes_grant(fn: ModuleType, pool: Pool) -> None:
    reader = pool.machine("sms-channel/admin.read")
    writer = pool.machine("sms-channel/admin.write")
    nothing = pool.machine()
    for method, path, body in ROUTES:
        read_only = method == "GET" or path in READ_ONLY_POSTS
        assert (request(fn, method, path, reader, body)[0] == 403) is not read_only, (method, path)
        assert request(fn, method, path, writer, body)[0] not in (401, 403), (method, path)
        assert request(fn, method, path, nothing, body)[0] == 403, (method, path)


def test_an_agent_works_the_desk_within_an_agents_rights(fn: ModuleType, pool: Pool, aws: dict[str, str]) -> None:
    from smschannel.models import Account, InboundMessage, Interaction
    from smschannel.stores.configuration import ConfigurationStore
    from smschannel.stores.inbound_messages import InboundMessageStore
    from smschannel.stores.interactions import InteractionStore

    table = Table(aws["table"])
    for agent_id in ("agent-1", "agent-2"):
        assert request(fn, "PUT", f"/admin/agents/{agent_id}", ADMIN_TOKEN, {"name": f"Agent {agent_id[-1]}"})[0] == 201
    account = Account(id="a1", name="Acme", provider="twilio", phone_number="+15005550006")
    ConfigurationStore(table).put_account(account)
    inbound = InboundMessage(provider="twilio", provider_message_id="SM1", **{"from": "+14155550100"}, to="+1500")
    outcome = InboundMessageStore(table, InteractionStore(table)).record_inbound(
        account, inbound, "+14155550100", account.phone_number
    )
    interaction_id = str(outcome.interaction_id)
    item = table.get({"pk": f"INTERACTION#{interaction_id}", "sk": "INTERACTION"})
    assert item is not None
    table.client.update_item(  # as routing assigns it
        TableName=table.name,
        Key={"pk": {"S": item["pk"]}, "sk": {"S": "INTERACTION"}},
        UpdateExpression="SET agentId = :a",
        ExpressionAttributeValues={":a": {"S": "agent-1"}},
    )
    contact_id = Interaction.model_validate(item).contact_id
    reply = {"shortcut": "hi", "title": "Hi", "text": "Hi {{contact.name|there}}, {{agent.name}} here"}
    agent_1, agent_2 = pool.agent("agent-1"), pool.agent("agent-2")
    assert request(fn, "PUT", "/admin/responses/r1", agent_1, reply)[0] == 403  # supervisors write replies
    assert request(fn, "PUT", "/admin/responses/r1", pool.supervisor(), reply)[0] == 201
    status, rendered = request(fn, "POST", "/admin/responses/r1/render", agent_2, {"interactionId": interaction_id})
    assert (status, rendered["text"]) == (200, "Hi there, Agent 2 here")  # the rendering agent's own name
    status, answer = request(fn, "GET", "/admin/interactions", agent_1)
    assert status == 403 and "contactId" in answer["message"]
    status, history = request(fn, "GET", "/admin/interactions", agent_1, contactId=contact_id)
    assert status == 200 and [each["id"] for each in history["items"]] == [interaction_id]
    status, answer = request(fn, "PUT", f"/admin/contacts/{contact_id}", agent_1, {"name": "Ada", "email": "a@b.c"})
    assert status == 403 and answer["field"] == "email"
    status, contact = request(fn, "PUT", f"/admin/contacts/{contact_id}", agent_1, {"name": "Ada", "tags": ["vip"]})
    assert status == 200 and (contact["name"], contact["tags"]) == ("Ada", ["vip"])
    status, answer = request(fn, "POST", f"/admin/interactions/{interaction_id}/notes", agent_2, {"body": "mine?"})
    assert status == 403 and answer["error"] == "not_yours"
    status, noted = request(fn, "POST", f"/admin/interactions/{interaction_id}/notes", agent_1, {"body": "@agent-2 hi"})
    assert status == 201 and noted["message"]["sender"] == "agent:agent-1"
    assert noted["message"]["mentions"] == ["agent-2"]


def test_without_break_glass_the_static_token_is_refused(pool: Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    from smschannel.settings import get_settings

    monkeypatch.setenv("BREAK_GLASS", "disabled")
    get_settings.cache_clear()
    fn = load_function("admin")
    assert request(fn, "GET", "/admin/queues", ADMIN_TOKEN)[0] == 401
    assert request(fn, "GET", "/admin/queues", pool.admin())[0] == 200


def test_health_stays_open(fn: ModuleType) -> None:
    assert request(fn, "GET", "/health", None) == (200, {"status": "ok"})


# --- WebSocket tickets ---------------------------------------------------------------------------------------


def handshake(wsauth: ModuleType, **query: str) -> dict[str, Any]:
    answer: dict[str, Any] = wsauth.lambda_handler(
        {"type": "REQUEST", "methodArn": WS_ARN, "queryStringParameters": query}, FakeContext()
    )
    return answer


def connect(realtime: ModuleType, connection_id: str, authorizer: dict[str, Any]) -> int:
    event = {"requestContext": {"routeKey": "$connect", "connectionId": connection_id, "authorizer": authorizer}}
    return int(realtime.lambda_handler(event, FakeContext())["statusCode"])


def effect(answer: dict[str, Any]) -> str:
    return str(answer["policyDocument"]["Statement"][0]["Effect"])


def test_a_ticket_opens_one_connection_as_its_agent(fn: ModuleType, pool: Pool) -> None:
    assert request(fn, "PUT", "/admin/agents/agent-1", ADMIN_TOKEN, {"name": "One"})[0] == 201
    status, ticket = request(fn, "POST", "/realtime/tickets", pool.agent("agent-1"))
    assert status == 201
    assert ticket["expiresIn"] == 30
    assert (ticket["role"], ticket["agentId"]) == ("agent", "agent-1")
    wsauth, realtime = load_function("wsauth"), load_function("realtime")

    admitted = handshake(wsauth, ticket=ticket["ticket"])
    assert effect(admitted) == "Allow"
    assert admitted["context"]["role"] == "agent"
    assert admitted["context"]["agentId"] == "agent-1"
    # The authorizer only reads it; the $connect route uses it, once, even when the authorizer's answer is replayed.
    assert effect(handshake(wsauth, ticket=ticket["ticket"])) == "Allow"
    assert connect(realtime, "conn-1", admitted["context"]) == 200
    assert connect(realtime, "conn-2", admitted["context"]) == 401
    assert effect(handshake(wsauth, ticket=ticket["ticket"])) == "Deny"


def test_an_expired_or_unknown_ticket_is_refused(fn: ModuleType, aws: dict[str, str]) -> None:
    wsauth = load_function("wsauth")
    expired, _ = TicketStore(Table(aws["table"]), ttl_seconds=-1).issue("supervisor", None, "sam")
    assert effect(handshake(wsauth, ticket=expired)) == "Deny"
    assert effect(handshake(wsauth, ticket="made-up")) == "Deny"
    assert effect(handshake(wsauth)) == "Deny"


def test_tickets_are_for_people_in_a_group(fn: ModuleType, pool: Pool) -> None:
    assert request(fn, "POST", "/realtime/tickets", None)[0] == 401
    assert request(fn, "POST", "/realtime/tickets", pool.machine("sms-channel/admin.write"))[0] == 403
    assert request(fn, "POST", "/realtime/tickets", pool.token("nobody", []))[0] == 403
    # an agent user whose agent is not configured
    assert request(fn, "POST", "/realtime/tickets", pool.agent("agent-9"))[0] == 403
    status, ticket = request(fn, "POST", "/realtime/tickets", pool.admin())
    assert status == 201
    assert handshake(load_function("wsauth"), ticket=ticket["ticket"])["context"]["role"] == "supervisor"


def test_a_cognito_access_token_opens_the_websocket_too(fn: ModuleType, pool: Pool) -> None:
    wsauth = load_function("wsauth")
    admitted = handshake(wsauth, token=pool.agent("agent-2"))
    assert (effect(admitted), admitted["context"]["agentId"], admitted["context"]["ticket"]) == ("Allow", "agent-2", "")
    assert handshake(wsauth, token=pool.supervisor())["context"]["role"] == "supervisor"
    for token in bad_tokens(pool).values():
        assert effect(handshake(wsauth, token=token)) == "Deny"
    assert effect(handshake(wsauth, token=pool.machine("sms-channel/admin.write"))) == "Deny"
    # the stack's own tokens (POST /admin/tokens) keep working
    own = request(fn, "POST", "/admin/tokens", ADMIN_TOKEN, {"role": "supervisor"})[1]["token"]
    assert handshake(wsauth, token=own)["context"]["role"] == "supervisor"


# --- audit ---------------------------------------------------------------------------------------------------


def audit(fn: ModuleType, pool: Pool, **query: str) -> list[dict[str, Any]]:
    status, answer = request(fn, "GET", "/admin/audit", pool.admin(), **query)
    assert status == 200
    return list(answer["items"])


def test_each_change_is_audited_with_who_and_the_fields_before_and_after(fn: ModuleType, pool: Pool) -> None:
    admin = pool.admin()
    assert request(fn, "PUT", "/admin/queues/support", admin, {"name": "Support"})[0] == 201
    assert request(fn, "PUT", "/admin/queues/support", admin, {"name": "Help desk"})[0] == 200
    assert request(fn, "DELETE", "/admin/queues/support", pool.machine("sms-channel/admin.write"))[0] == 204

    deleted, updated, created = audit(fn, pool, resource="queue/support")
    assert (created["actor"], created["action"]) == ("ada", "queue.created")
    assert created["changes"]["name"] == {"before": None, "after": "Support"}
    assert (updated["action"], updated["changes"]) == (
        "queue.updated",
        {"name": {"before": "Support", "after": "Help desk"}},
    )
    assert (deleted["actor"], deleted["action"]) == (f"client:{MACHINE_CLIENT}", "queue.deleted")
    assert all(set(entry) == {"at", "actor", "action", "resource", "changes"} for entry in (created, updated, deleted))
    assert audit(fn, pool, actor="ada", resource="queue/support") == [updated, created]
    assert audit(fn, pool, resource="queue/support", since=updated["at"]) == [deleted, updated]


def test_rotated_credentials_are_audited_without_their_values(fn: ModuleType, pool: Pool) -> None:
    account = {
        "name": "A",
        "provider": "twilio",
        "phoneNumber": "+15005550006",
        "queueId": None,
        "credentials": {"accountSid": "AC" + "1" * 32, "authToken": "first-secret-value-1"},
    }
    assert request(fn, "PUT", "/admin/accounts/a1", pool.admin(), account)[0] == 201
    rotated = {**account, "credentials": {**account["credentials"], "authToken": "second-secret-value-2"}}
    assert request(fn, "PUT", "/admin/accounts/a1", pool.admin(), rotated)[0] == 200

    entries = audit(fn, pool, resource="account/a1")
    assert entries[0]["changes"] == {"credentials": {"changed": ["authToken"]}}
    text = json.dumps(entries)
    assert "first-secret-value-1" not in text
    assert "second-secret-value-2" not in text
    assert "1" * 32 not in text


def test_break_glass_uses_are_audited(fn: ModuleType, pool: Pool) -> None:
    assert request(fn, "GET", "/admin/queues", ADMIN_TOKEN)[0] == 200
    assert request(fn, "PUT", "/admin/agents/x1", ADMIN_TOKEN, {"name": "X"})[0] == 201
    entries = audit(fn, pool, actor="break-glass")
    assert [(entry["action"], entry["resource"]) for entry in entries] == [
        ("agent.created", "agent/x1"),
        ("breakglass.used", "PUT /admin/agents/x1"),
        ("breakglass.used", "GET /admin/queues"),
    ]


def test_only_admins_read_the_audit(fn: ModuleType, pool: Pool) -> None:
    assert request(fn, "GET", "/admin/audit", pool.supervisor())[0] == 403
    assert request(fn, "GET", "/admin/audit", pool.machine("sms-channel/admin.read"))[0] == 200


# --- pages ---------------------------------------------------------------------------------------------------


def test_a_page_without_a_token_signs_in_through_the_hosted_page(pool: Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    from smschannel.settings import get_settings

    for name, value in {
        "AUTH_SIGNIN_URL": "https://sms.auth.us-east-1.amazoncognito.com",
        "PAGES_CLIENT_ID": PAGES_CLIENT,
        "PAGES_BASE_URL": "https://api.example.com",
        "WEBSOCKET_URL": "wss://ws.example.com/prod",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    pages = load_function("pages")
    status, body, headers = call(pages, http_event("GET", "/agent"))
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    config = json.loads(body.split('<script id="config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert config["auth"] == {
        "authorizeUrl": "https://sms.auth.us-east-1.amazoncognito.com/oauth2/authorize",
        "tokenUrl": "https://sms.auth.us-east-1.amazoncognito.com/oauth2/token",
        "logoutUrl": "https://sms.auth.us-east-1.amazoncognito.com/logout",
        "clientId": PAGES_CLIENT,
        "redirectUri": "https://api.example.com/agent",
        "ticketUrl": "https://api.example.com/realtime/tickets",
        "apiUrl": "https://api.example.com",
    }
    assert config["role"] == "agent"
    # The reports page signs in the same way, back to itself, and reads the admin API beside the pages.
    status, body, _headers = call(pages, http_event("GET", "/reports"))
    reports = json.loads(body.split('<script id="config" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert status == 200 and reports["role"] == "supervisor"
    assert (reports["auth"]["redirectUri"], reports["auth"]["apiUrl"]) == (
        "https://api.example.com/reports",
        "https://api.example.com",
    )
    # The session (sign-in) comes with the shared module the page carries.
    assert "const Session" in body and 'src="assets/' not in body
    # a link's token is still checked as before
    assert call(pages, http_event("GET", "/agent", query={"token": "nope"}))[0] == 401


def test_unreachable_signing_keys_let_nobody_in_with_a_503(fn: ModuleType, pool: Pool) -> None:
    pool.jwks.close()
    status, answer = request(fn, "GET", "/admin/queues", pool.admin())
    assert (status, answer["error"]) == (503, "identity_unavailable")
    assert request(fn, "GET", "/admin/queues", ADMIN_TOKEN)[0] == 200  # break-glass does not need the pool


def test_a_jwks_without_a_usable_key_lets_nobody_in_with_a_503(fn: ModuleType, pool: Pool) -> None:
    # What an emulator without `cryptography` serves: an RSA key whose modulus is not one.
    pool.jwks.body = json.dumps(
        {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID, "n": "AQ", "e": "AQAB"}]}
    ).encode()
    status, answer = request(fn, "GET", "/admin/queues", pool.admin())
    assert (status, answer["error"]) == (503, "identity_unavailable")


def test_no_token_ticket_or_password_reaches_the_logs(
    fn: ModuleType, pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    assert request(fn, "PUT", "/admin/agents/agent-1", ADMIN_TOKEN, {"name": "One"})[0] == 201
    agent, forged = pool.agent("agent-1"), bad_tokens(pool)["forged (another key, the pool's kid)"]
    ticket = request(fn, "POST", "/realtime/tickets", agent)[1]["ticket"]
    wsauth = load_function("wsauth")
    handshake(wsauth, ticket=ticket)
    handshake(wsauth, token=forged)
    for token in (agent, forged, "Aa1-not-a-password"):
        request(fn, "GET", "/admin/queues", token)
    # every record with every field Powertools would print (its message and the `extra` keys)
    logged = " ".join(str(value) for record in caplog.records for value in vars(record).values())
    assert "request refused" in logged and "handshake refused" in logged
    for secret in (ADMIN_TOKEN, agent, forged, ticket, "Aa1-not-a-password"):
        assert secret not in logged


def test_tokens_naming_unknown_keys_do_not_make_the_function_refetch_the_keys(fn: ModuleType, pool: Pool) -> None:
    assert request(fn, "GET", "/admin/queues", pool.admin())[0] == 200
    for _ in range(20):
        claims = jwt.decode(pool.admin(), options={"verify_signature": False})
        token = jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": uuid.uuid4().hex})
        assert request(fn, "GET", "/admin/queues", token)[0] == 401
    assert pool.jwks.fetches == 1  # PyJWKClient refreshes for an unknown kid at most every 30 s
