"""Skebby (Italy) REST API v1.0: `POST /sms` with the `user_key` / `Access_token` headers, received SMS forwarded
to a URL ("Forward SMS on URL"), and order status values from `GET /sms/{order_id}`.

Skebby signs nothing, so the account's `webhookSecret` authenticates the forwarded SMS (`verify_webhook_secret`,
`?secret=` on the URL set in Skebby's panel). The REST API documents no delivery-receipt callback for its sends:
status is read from the order (`status_from_order`), and a status webhook is refused. The SMS quality is the
account's `options.messageType`: `GP` (Classic+, the default), `TI` (Classic) or `SI` (Basic, no custom sender).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from smschannel.errors import UnparsableWebhook
from smschannel.models import SKEBBY_MESSAGE_TYPES, Account, InboundMessage, MessageStatus, StatusUpdate
from smschannel.providers import base
from smschannel.providers.vonage import is_gsm7

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

MESSAGE_TYPES = SKEBBY_MESSAGE_TYPES  # the default (GP) is AccountOptions.message_type's
# Basic SMS ("SI") go out from Skebby's own sender: the API wants `sender` empty for them.
NO_CUSTOM_SENDER = {"SI"}
# `order_id` accepts at most 32 letters, digits, underscores, dots and dashes.
ORDER_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
# Recipient status values of an order (`GET /sms/{order_id}`), as Skebby's API reference lists them.
ORDER_STATUSES: dict[str, MessageStatus] = {
    "WAITING": MessageStatus.QUEUED,
    "SCHEDULED": MessageStatus.QUEUED,
    "SENT": MessageStatus.SENT,
    "WAIT4DLVR": MessageStatus.SENT,
    "DEMO": MessageStatus.SENT,
    "DLVRD": MessageStatus.DELIVERED,
    "TIMEOUT": MessageStatus.UNDELIVERED,
    "KO": MessageStatus.UNDELIVERED,
    "ERROR": MessageStatus.FAILED,
    "TOOM4USER": MessageStatus.FAILED,
    "TOOM4NUM": MessageStatus.FAILED,
    "UNKNRCPT": MessageStatus.FAILED,
    "UNKNPFX": MessageStatus.FAILED,
    "INVALIDDST": MessageStatus.FAILED,
    "BLACKLISTED": MessageStatus.FAILED,
    "INVALIDCONTENTS": MessageStatus.FAILED,
}
# What each documented HTTP error means on Skebby's API (its bodies carry no documented error code).
HTTP_ERRORS = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND"}


def _digits(number: str) -> str:
    """Skebby forwards numbers in international format without '+'."""
    return number[1:] if number.startswith("+") else number


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    code = HTTP_ERRORS.get(status)
    return (False, code) if code else None


def message_type(account: Account) -> str:
    value = account.options.message_type.upper()
    if value not in MESSAGE_TYPES:
        raise base.SendError(
            f"skebby options.messageType must be one of {MESSAGE_TYPES}, not {value!r}", retryable=False, code="config"
        )
    return value


def status_from_order(provider_message_id: str, status: str) -> StatusUpdate:
    """A recipient status of a Skebby order (e.g. `DLVRD`, `WAIT4DLVR`, `KO`) as a status update."""
    name = status.strip().upper()
    if name not in ORDER_STATUSES:
        raise UnparsableWebhook(f"Skebby order status {status!r} is unknown")
    mapped = ORDER_STATUSES[name]
    failed = mapped in {MessageStatus.UNDELIVERED, MessageStatus.FAILED}
    return StatusUpdate(
        provider="skebby",
        provider_message_id=provider_message_id,
        status=mapped,
        provider_status=name,
        error_code=name if failed else None,
    )


def _fields(request: base.WebhookRequest) -> dict[str, str]:
    """The forwarded SMS's form fields (or a GET's query). Skebby's older default charset is ISO-8859-1, so a text
    whose bytes are not UTF-8 is read as Latin-1."""
    if request.method == "GET":
        return dict(request.query)
    text = request.body.decode("latin-1")  # the form itself is ASCII: percent-encoding carries the charset
    try:
        return dict(parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict"))
    except UnicodeDecodeError:
        return dict(parse_qsl(text, keep_blank_values=True, encoding="latin-1"))


class SkebbyAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "skebby"
    required_credentials: ClassVar[tuple[str, ...]] = ("userKey", "accessToken", "webhookSecret")
    supports_mms: ClassVar[bool] = False
    default_api_base_url: ClassVar[str] = "https://api.skebby.it/API/v1.0/REST"
    signs_body: ClassVar[bool] = False
    # Skebby takes no callback URL with a send (see parse_status).
    status_url_per_message: ClassVar[bool] = False
    polls_status: ClassVar[bool] = True

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        base.verify_webhook_secret(request, account.credentials["webhookSecret"])

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        fields = _fields(request)
        sender, receiver = fields.get("sender", "").strip(), fields.get("receiver", "").strip()
        if not sender or not receiver:
            raise UnparsableWebhook("Skebby forwarded SMS needs sender and receiver")
        text = fields.get("text", "")
        moment = fields.get("timestamp") or f"{fields.get('date', '')} {fields.get('time', '')}".strip()
        # Skebby forwards no message id; the same SMS forwarded again hashes to the same id, so retries dedupe.
        digest = hashlib.sha256("\x1f".join((sender, receiver, moment, text)).encode()).hexdigest()[:32]
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=f"skebby-{digest}",
                **{"from": base.international_number(sender)},
                to=base.international_number(receiver),
                body=text,
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        raise UnparsableWebhook(
            "Skebby's REST API documents no delivery-receipt callback: read the order's recipient status "
            "(GET /sms/{order_id}) and map it with skebby.status_from_order"
        )

    def fetch_status(self, account: Account, provider_message_id: str, session: requests.Session) -> StatusUpdate:
        """The recipient status of the order (`GET /sms/{order_id}`: `{"recipients": [{"status": "DLVRD"}]}`)."""
        credentials = account.credentials
        response = base.post_to_provider(
            session,
            self.name,
            "GET",
            f"{self.api_base(account)}/sms/{provider_message_id}",
            classify=_classify_error,
            headers={"user_key": credentials["userKey"], "Access_token": credentials["accessToken"]},
        )
        try:
            recipients = response.json()["recipients"]
            status = str(recipients[0]["status"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise base.SendError(f"skebby answered an unreadable order: {response.text[:200]}", retryable=True) from exc
        return status_from_order(provider_message_id, status)

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        kind = message_type(account)
        body: dict[str, Any] = {
            "message_type": kind,
            "message": sms.body,
            "recipient": [sms.to],
            "returnCredits": False,
            "encoding": "gsm" if is_gsm7(sms.body) else "ucs2",
        }
        if kind not in NO_CUSTOM_SENDER:
            body["sender"] = sms.from_
        order_id = ORDER_ID_UNSAFE.sub("", sms.client_reference or "")[:32]
        if order_id:
            body["order_id"] = order_id  # our id doubles as the order id the status is read by
        credentials = account.credentials
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/sms",
            classify=_classify_error,
            json=body,
            headers={"user_key": credentials["userKey"], "Access_token": credentials["accessToken"]},
        )
        try:
            data = response.json()
            result = str(data.get("result") or "")
        except (ValueError, AttributeError) as exc:
            raise base.SendError(f"skebby answered an unreadable body: {response.text[:200]}", retryable=True) from exc
        if result != "OK":
            raise base.SendError(
                f"skebby refused the message: {result or response.text[:200]}", retryable=False, code=result
            )
        if data.get("total_sent") == 0:  # accepted, but this recipient was dropped (invalid or blacklisted)
            raise base.SendError("skebby sent the order to no recipient", retryable=False, code="NOT_SENT")
        if not data.get("order_id"):
            raise base.SendError(f"skebby answered no order_id: {response.text[:200]}", retryable=True)
        return base.SendResult(provider_message_id=str(data["order_id"]), status=MessageStatus.QUEUED, raw=data)

    # --- Skebby's side ----------------------------------------------------------------------------------------

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        fields = {
            "sender": _digits(from_),
            "receiver": _digits(account.phone_number),
            "text": body,
            "encoding": "UTF-8",
            "date": "2024-12-24",
            "time": "01:46:40",
            "timestamp": "1735000000",
            "smsType": "standard",
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(fields).encode(),
            query={"secret": account.credentials["webhookSecret"]},
        )

    def sandbox_status_query(self, request: base.WebhookRequest) -> str | None:
        path = request.urls[0].split("?")[0]
        if request.method != "GET" or "/sms/" not in path:
            return None
        return path.rsplit("/sms/", 1)[1]

    def sandbox_status_answer(self, provider_message_id: str, status: StatusUpdate | None) -> dict[str, Any]:
        word = next(name for name, mapped in ORDER_STATUSES.items() if mapped == (status.status if status else "sent"))
        return {"recipients_number": 1, "result": "OK", "recipients": [{"destination": "", "status": word}]}

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        recipients = data.get("recipient")
        to = str(recipients[0]) if isinstance(recipients, list) and recipients else ""
        sms = base.OutboundSms(
            to=to,
            from_=str(data.get("sender") or ""),
            body=str(data.get("message") or ""),
            client_reference=data.get("order_id"),
        )
        if not request.header("user_key") or not (request.header("access_token") or request.header("session_key")):
            return 401, {"result": "KO", "error": "User_key, Token or Session_key are invalid or not provided"}, sms
        if not to or not sms.body or data.get("message_type") not in MESSAGE_TYPES:
            return 400, {"result": "KO", "error": "message_type, message and recipient are required"}, sms
        order_id = str(data.get("order_id") or message_id)
        answer = {"result": "OK", "order_id": order_id, "total_sent": 1, "internal_order_id": message_id}
        return 201, answer, sms
