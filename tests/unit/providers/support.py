"""Helpers for provider adapter tests: accounts, WebhookRequests from simulated or fixture payloads, and a
requests transport that answers with canned responses and records what was sent (no network)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import HTTPAdapter

from smschannel.models import Account
from smschannel.providers.base import SimulatedWebhook, WebhookRequest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "providers"


def fixture(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def fixture_json(provider: str, name: str) -> Any:
    return json.loads(fixture(provider, name))


def make_account(provider: str, credentials: dict[str, str], phone: str = "+14155550100") -> Account:
    return Account(
        id=f"acct-{provider}",
        name=f"{provider} test",
        provider=provider,
        phone_number=phone,
        credentials=credentials,
    )


def webhook_request(
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> WebhookRequest:
    return WebhookRequest(
        method=method,
        urls=(url,),
        headers={key.lower(): value for key, value in (headers or {}).items()},
        query=query or {},
        body=body,
    )


def from_simulated(webhook: SimulatedWebhook, url: str) -> WebhookRequest:
    """The request our webhook handler would see for a simulated provider webhook posted to `url`."""
    return webhook_request(webhook.method, url, webhook.body, webhook.headers, webhook.query)


@dataclass
class Canned:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes as is
    headers: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None  # raised instead of answering (Timeout, ConnectionError)


class CannedTransport(HTTPAdapter):
    """A transport adapter whose send() records the prepared request and returns the next canned answer."""

    def __init__(self, answers: list[Canned]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(request)
        answer = self.answers.pop(0)
        if answer.error is not None:
            raise answer.error
        response = requests.Response()
        response.status_code = answer.status
        if isinstance(answer.body, (dict, list)):
            content = json.dumps(answer.body).encode()
            response.headers["Content-Type"] = "application/json"
        elif isinstance(answer.body, str):
            content = answer.body.encode()
        else:
            content = answer.body or b""
        response._content = content
        response.headers.update(answer.headers)
        response.url = request.url or ""
        response.request = request
        return response


def canned_session(*answers: Canned) -> tuple[requests.Session, CannedTransport]:
    session = requests.Session()
    transport = CannedTransport(list(answers))
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session, transport


def as_webhook_request(prepared: requests.PreparedRequest) -> WebhookRequest:
    """A request our `send` made, as the provider's API (the sandbox) receives it."""
    url = prepared.url or ""
    body = prepared.body or b""
    return WebhookRequest(
        method=(prepared.method or "POST").upper(),
        urls=(url,),
        headers={key.lower(): value for key, value in prepared.headers.items()},
        query=dict(parse_qsl(urlsplit(url).query, keep_blank_values=True)),
        body=body.encode() if isinstance(body, str) else body,
    )


class SandboxTransport(HTTPAdapter):
    """A transport whose answers come from the adapter's own `sandbox_accept`: the provider's side of `send`."""

    def __init__(self, accept: Any) -> None:
        super().__init__()
        self.accept = accept
        self.understood: list[Any] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        status, payload, sms = self.accept(as_webhook_request(request), "0123456789abcdef0123456789abcdef")
        self.understood.append(sms)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.url = request.url or ""
        response.request = request
        return response
