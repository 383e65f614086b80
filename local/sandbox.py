"""The provider sandbox of the local stack: every provider's API as our outbound code calls it, and the
provider's side of its webhooks (inbound SMS and status callbacks, signed the provider's way).

Routes (base `/sandbox`): `GET|DELETE /outbox`, `POST /inbound`, `POST /faults`, `POST /status`, `POST|GET /bot`
(a small webhook bot for the trigger `bot` action, signed like callUrl with BOT_SECRET), and each provider's API
under `/api/{provider}/{accountId}/...` (the demo accounts' `apiBaseUrl`). Provider wire formats come from the
adapters. Like the real providers, after accepting a send the sandbox posts its delivery callbacks by itself
(`sent`, then `delivered`, signed as the provider signs them) to the status URL the send named; `/sandbox/status`
forces any other outcome.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from smschannel.credentials import with_secret_credentials
from smschannel.models import Account, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import ADAPTERS, get_adapter
from smschannel.providers.base import HTTP_TIMEOUT, OutboundSms, ProviderAdapter, SimulatedWebhook, WebhookRequest
from smschannel.stores.configuration import ConfigurationStore
from smschannel.triggers.signing import SIGNATURE_HEADER, verify

FAULT_MODES = {"500", "429", "timeout", "400"}
# Seconds before the automatic `sent` callback, then before `delivered` (the sender stores the provider's id
# right after the API answers; real providers take longer still).
AUTO_STATUS_DELAYS = (0.4, 0.4)
# The demo webhook bot's shared secret (the `secret` of a `bot` action with backend `webhook`).
BOT_SECRET = "sandbox-bot-secret"  # noqa: S105 (a local demo secret, published on purpose)
BOT_HANDOFF_WORDS = ("human", "person", "operator")
# Longer than the senders' read timeout, so a "timeout" fault really times the caller out.
TIMEOUT_FAULT_SECONDS = HTTP_TIMEOUT[1] + 2


@dataclass
class SandboxState:
    http_base: str  # our HTTP API, where the sandbox posts webhooks
    configuration: ConfigurationStore  # reads an account's full credentials, to sign as its provider does
    outbox: list[dict[str, Any]] = field(default_factory=list)
    faults: dict[str, deque[str]] = field(default_factory=dict)  # provider ("*" = any) -> pending fault modes
    lock: threading.Lock = field(default_factory=threading.Lock)
    auto_status: bool = True  # post `sent` then `delivered` after each accepted send
    # Providers without receipts: when each send was accepted, and any status forced by POST /sandbox/status.
    accepted: dict[tuple[str, str], float] = field(default_factory=dict)
    forced: dict[tuple[str, str], StatusUpdate] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # what the automatic callbacks got back
    bot_turns: list[dict[str, Any]] = field(default_factory=list)  # what the demo bot was told, in order

    def polled_status(self, provider: str, provider_message_id: str) -> StatusUpdate | None:
        """What a polled provider reports: a forced status, else `delivered` once the automatic delays passed."""
        with self.lock:
            forced = self.forced.get((provider, provider_message_id))
            accepted = self.accepted.get((provider, provider_message_id))
        if forced is not None:
            return forced
        if accepted is not None and time.monotonic() - accepted >= sum(AUTO_STATUS_DELAYS):
            return StatusUpdate(provider=provider, provider_message_id=provider_message_id, status="delivered")
        return None

    def take_fault(self, provider: str) -> str | None:
        with self.lock:
            for key in (provider, "*"):
                pending = self.faults.get(key)
                if pending:
                    return pending.popleft()
        return None


class SandboxHandler(BaseHTTPRequestHandler):
    state: SandboxState
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    # --- plumbing --------------------------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        try:
            if path == "/sandbox/outbox" and method == "GET":
                with self.state.lock:
                    self._send(200, {"items": list(self.state.outbox)})
            elif path == "/sandbox/outbox" and method == "DELETE":
                with self.state.lock:
                    self.state.outbox.clear()
                self._send(204, None)
            elif path == "/sandbox/inbound" and method == "POST":
                self._inbound()
            elif path == "/sandbox/status" and method == "POST":
                self._status()
            elif path == "/sandbox/faults" and method == "POST":
                self._faults()
            elif path == "/sandbox/bot" and method == "POST":
                self._bot()
            elif path == "/sandbox/bot" and method == "GET":
                with self.state.lock:
                    self._send(200, {"items": list(self.state.bot_turns)})
            elif path.startswith("/sandbox/api/"):
                self._provider_api(method, path)
            else:
                self._send(404, {"error": "not_found", "message": f"no sandbox route {method} {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, {"error": "bad_request", "message": str(exc)})

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def do_PUT(self) -> None:
        self._route("PUT")

    # --- the customer's provider posting to our webhooks -----------------------------------------------------

    def _inbound(self) -> None:
        request = json.loads(self._body() or b"{}")
        missing = [name for name in ("accountId", "from") if not request.get(name)]
        if missing:
            raise ValueError(f"missing {missing[0]}")
        account = self._account(str(request["accountId"]))
        if account is None:
            return
        adapter = get_adapter(account.provider)
        url = f"{self.state.http_base}/webhooks/{account.id}"
        message_id = request.get("messageId") or uuid.uuid4().hex
        webhook = adapter.simulate_inbound(
            account,
            url=url,
            from_=str(request["from"]),
            body=str(request.get("body", "")),
            media=list(request.get("media") or []),
            message_id=message_id,
        )
        response = requests.request(
            webhook.method,
            url + webhook.path_suffix,
            headers=webhook.headers,
            data=webhook.body,
            params=webhook.query or None,
            timeout=30,
        )
        provider_message_id = _provider_message_id(adapter.parse_inbound, webhook, url, account)
        self._send(
            200,
            {
                "status": response.status_code,
                "providerMessageId": provider_message_id,
                "response": response.text[:2000],
            },
        )

    def _account(self, account_id: str) -> Account | None:
        """The account with its full credentials (secrets included), or None after answering 404."""
        account = self.state.configuration.get_account(account_id)
        if account is None:
            self._send(404, {"error": "unknown_account", "message": f"no account {account_id!r}"})
            return None
        return with_secret_credentials(account)

    def _status(self) -> None:
        """`POST /sandbox/status {accountId, providerMessageId, status}`: the provider's delivery callback."""
        request = json.loads(self._body() or b"{}")
        account = self._account(str(request.get("accountId")))
        if account is None:
            return
        adapter = get_adapter(account.provider)
        url = f"{self.state.http_base}/webhooks/{account.id}/status"
        webhook = adapter.simulate_status(
            account, url=url, provider_message_id=str(request["providerMessageId"]), status=str(request["status"])
        )
        if webhook is None and adapter.polls_status:
            # No receipts: the status waits to be read by the sender's poller.
            update = StatusUpdate(
                provider=adapter.name, provider_message_id=str(request["providerMessageId"]), status=request["status"]
            )
            with self.state.lock:
                self.state.forced[(adapter.name, update.provider_message_id)] = update
            self._send(200, {"status": "stored for polling"})
            return
        if webhook is None:
            self._send(501, {"error": "not_supported", "message": f"{adapter.name} sends no status callbacks"})
            return
        response = requests.request(
            webhook.method,
            url,
            headers=webhook.headers,
            data=webhook.body,
            params=webhook.query or None,
            timeout=30,
        )
        self._send(200, {"status": response.status_code, "response": response.text[:2000]})

    def _faults(self) -> None:
        request = json.loads(self._body() or b"{}")
        mode = str(request.get("mode"))
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {sorted(FAULT_MODES)}")
        provider = str(request.get("provider") or "*")
        if provider != "*" and provider not in ADAPTERS:
            raise ValueError(f"unknown provider {provider!r}")
        count = int(request.get("count", 1))
        with self.state.lock:
            self.state.faults.setdefault(provider, deque()).extend([mode] * count)
        self._send(200, {"provider": provider, "mode": mode, "count": count})

    # --- the demo webhook bot ------------------------------------------------------------------------------

    def _bot(self) -> None:
        """Answers each turn; hands off when the customer asks for a person. Refuses a wrong signature (401)."""
        body = self._body()
        if not verify(BOT_SECRET, body, self.headers.get(SIGNATURE_HEADER)):
            self._send(401, {"error": "invalid_signature", "message": "X-Signature does not verify"})
            return
        turn = json.loads(body)
        text = str(turn.get("body", ""))
        with self.state.lock:
            self.state.bot_turns.append({**turn, "at": utc_now()})
            turns = sum(1 for each in self.state.bot_turns if each.get("interactionId") == turn.get("interactionId"))
        if any(word in text.lower() for word in BOT_HANDOFF_WORDS):
            self._send(
                200, {"reply": "Connecting you to a person now.", "handoff": True, "attributes": {"botTurns": turns}}
            )
            return
        reply = f"Demo bot here: you said {text!r}. Text 'human' (or 'agent') for a person."
        self._send(200, {"reply": reply, "handoff": False, "attributes": {"botTurns": turns}})

    # --- the provider's send API ----------------------------------------------------------------------------

    def _provider_api(self, method: str, path: str) -> None:
        parts = path.split("/")  # ['', 'sandbox', 'api', provider, accountId, ...]
        if len(parts) < 5:
            raise ValueError("expected /sandbox/api/{provider}/{accountId}/...")
        provider, account_id = parts[3], parts[4]
        adapter = get_adapter(provider)
        body = self._body()  # read even when refusing: the caller's kept-alive connection carries the next request
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        request = WebhookRequest(
            method=method,
            urls=(f"http://{self.headers.get('Host')}{self.path}",),
            headers={key.lower(): value for key, value in self.headers.items()},
            query=query,
            body=body,
        )
        asked = adapter.sandbox_status_query(request)
        if asked is not None:  # a provider without receipts being polled for a message's status
            self._send(200, adapter.sandbox_status_answer(asked, self.state.polled_status(provider, asked)))
            return
        fault = self.state.take_fault(provider)
        if fault == "timeout":
            time.sleep(TIMEOUT_FAULT_SECONDS)
            self._send(504, {"error": "timeout"})
            return
        if fault == "500":
            self._send(500, {"error": "sandbox fault 500"})
            return
        if fault == "400":
            # A permanent refusal, as a provider answers an invalid destination (never retried).
            self._send(400, {"code": 21211, "message": "Invalid 'To' Phone Number (sandbox fault 400)", "status": 400})
            return
        if fault == "429":
            self._send(429, {"error": "sandbox fault 429"}, {"Retry-After": "1"})
            return
        message_id = uuid.uuid4().hex
        status, payload, sms = adapter.sandbox_accept(request, message_id)
        if status < 300:
            record = {
                "provider": provider,
                "accountId": account_id,
                "to": sms.to,
                "from": sms.from_,
                "body": sms.body,
                "media": sms.media,
                "at": utc_now(),
                "messageId": message_id,
                "path": path,
                "response": payload,
            }
            with self.state.lock:
                self.state.outbox.append(record)
        self._send(status, payload)
        if status < 300 and self.state.auto_status:
            threading.Thread(
                target=self._auto_status, args=(adapter, account_id, status, payload, sms), daemon=True
            ).start()

    def _auto_status(
        self, adapter: ProviderAdapter, account_id: str, status: int, payload: dict[str, Any], sms: OutboundSms
    ) -> None:
        """The provider's own delivery callbacks for a send it accepted: `sent`, then `delivered`."""
        try:
            account = self.state.configuration.get_account(account_id)
            if account is None:
                return
            account = with_secret_credentials(account)
            provider_message_id = accepted_message_id(adapter, account, status, payload, sms)
            if adapter.polls_status:
                with self.state.lock:
                    self.state.accepted[(adapter.name, provider_message_id)] = time.monotonic()
                return
            url = sms.status_callback_url or f"{self.state.http_base}/webhooks/{account.id}/status"
            for delay, target in zip(AUTO_STATUS_DELAYS, (MessageStatus.SENT, MessageStatus.DELIVERED), strict=True):
                time.sleep(delay)
                webhook = native_status_webhook(adapter, account, url, provider_message_id, target)
                if webhook is None:
                    continue
                response = requests.request(
                    webhook.method,
                    url,
                    headers=webhook.headers,
                    data=webhook.body,
                    params=webhook.query or None,
                    timeout=30,
                )
                with self.state.lock:
                    self.state.callbacks.append(
                        {
                            "providerMessageId": provider_message_id,
                            "status": target.value,
                            "answer": response.status_code,
                        }
                    )
        except Exception as exc:  # noqa: BLE001 - a callback thread reports, never raises
            with self.state.lock:
                self.state.callbacks.append({"error": f"{type(exc).__name__}: {exc}"})


def _provider_message_id(parse: Any, webhook: Any, url: str, account: Any) -> str | None:
    """The provider message id inside the webhook the sandbox just posted (read back with the adapter)."""
    request = WebhookRequest(
        method=webhook.method,
        urls=(url,),
        headers={key.lower(): value for key, value in webhook.headers.items()},
        query=webhook.query,
        body=webhook.body,
    )
    messages = parse(request, account)
    return messages[0].provider_message_id if messages else None


class _Canned(requests.adapters.BaseAdapter):
    """A transport that answers every request with the response the sandbox just gave (no network)."""

    def __init__(self, status: int, payload: dict[str, Any]) -> None:
        super().__init__()
        self.status, self.payload = status, payload

    def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.payload).encode()
        response.headers["Content-Type"] = "application/json"
        response.request, response.url = request, request.url
        return response

    def close(self) -> None:
        return


def accepted_message_id(
    adapter: ProviderAdapter, account: Account, status: int, payload: dict[str, Any], sms: OutboundSms
) -> str:
    """The provider message id our sender read from this answer: the adapter's own `send`, replayed on it."""
    session = requests.Session()
    canned = _Canned(status, payload)
    session.mount("http://", canned)
    session.mount("https://", canned)
    return adapter.send(account, sms, session).provider_message_id


_native: dict[tuple[str, MessageStatus], str | None] = {}


def native_status_webhook(
    adapter: ProviderAdapter, account: Account, url: str, provider_message_id: str, target: MessageStatus
) -> SimulatedWebhook | None:
    """The provider's callback saying `target`, in its own status word: the first of its words that its adapter
    reads back as `target` (None where the provider posts no callback or has no such word)."""
    key = (adapter.name, target)
    if key in _native:
        word = _native[key]
        if word is None:
            return None
        return adapter.simulate_status(account, url=url, provider_message_id=provider_message_id, status=word)
    module = importlib.import_module(type(adapter).__module__)
    words = [word for word, status in getattr(module, "STATUS_MAP", {}).items() if status == target]
    for word in [*words, target.value]:
        webhook = adapter.simulate_status(account, url=url, provider_message_id=provider_message_id, status=word)
        if webhook is None:
            _native[key] = None
            return None
        request = WebhookRequest(
            method=webhook.method,
            urls=(url,),
            headers={name.lower(): value for name, value in webhook.headers.items()},
            query=webhook.query,
            body=webhook.body,
        )
        try:
            updates = adapter.parse_status(request, account) or adapter.parse_inbound_statuses(request, account)
        except Exception:  # noqa: BLE001, S112 - a word this adapter does not read: try the next
            continue
        if updates and updates[0].status == target:
            _native[key] = word
            return webhook
    _native[key] = None
    return None


def start_sandbox(state: SandboxState, port: int) -> ThreadingHTTPServer:
    handler = type("BoundSandboxHandler", (SandboxHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sandbox", daemon=True).start()
    return server
