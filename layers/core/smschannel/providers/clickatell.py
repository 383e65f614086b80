"""Clickatell Platform: One API callbacks (`event.moText[]` inbound, `event.messageStatusUpdate[]` status), the
older Platform SMS reply and status callbacks (flat `fromNumber`/`toNumber` and `messageId`/`status` fields), and
`POST /v1/message` (One API) with the integration's API key as the `Authorization` header.

Clickatell signs no callback, so the account's `webhookSecret` authenticates them (`verify_webhook_secret`): the
callback URLs set on the integration carry `?secret=` (or basic auth). Clickatell takes no per-message callback
URL; `clientMessageId` carries our message id. Clickatell writes numbers without '+'.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from smschannel.errors import UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

# One API status names (its "Message Status Table") and the older Platform SMS API's names for the same life
# cycle; the provider's name is kept as raw status and, for a failure, its numeric statusCode as error code.
STATUS_MAP: dict[str, MessageStatus] = {
    # One API
    "UNKNOWN": MessageStatus.SENT,  # "message not found": no news, ranks below every final status
    "QUEUED": MessageStatus.QUEUED,
    "SCHEDULED": MessageStatus.QUEUED,
    "SENT_TO_SUPPLIER": MessageStatus.SENT,
    "DEVICE_ACK": MessageStatus.DELIVERED,
    "READ": MessageStatus.READ,
    "EMULATED": MessageStatus.SENT,  # test integrations: accepted, never sent to a handset
    "EXPIRED": MessageStatus.UNDELIVERED,
    "DELIVERY_FAILURE": MessageStatus.UNDELIVERED,
    "RECIPIENT_DOES_NOT_EXIST": MessageStatus.UNDELIVERED,
    "ROUTING_ERROR": MessageStatus.UNDELIVERED,
    "STOPPED_BY_USER": MessageStatus.FAILED,
    "STOPPED_BY_ADMIN": MessageStatus.FAILED,
    "INSUFFICIENT_ACCOUNT_BALANCE": MessageStatus.FAILED,
    "VOLUME_LIMIT": MessageStatus.FAILED,
    "VOLUME_LIMIT_DAILY": MessageStatus.FAILED,
    "VOLUME_LIMIT_MONTHLY": MessageStatus.FAILED,
    # Platform SMS API (legacy status callback)
    "DELIVERED_TO_GATEWAY": MessageStatus.SENT,
    "RECEIVED_BY_GATEWAY": MessageStatus.SENT,
    "ROUTING_ERROR_RETRYING": MessageStatus.SENT,
    "DELAYED": MessageStatus.QUEUED,
    "RECEIVED_BY_RECIPIENT": MessageStatus.DELIVERED,
    "ERROR_DELIVERING": MessageStatus.UNDELIVERED,
    "ERROR_WITH_MESSAGE": MessageStatus.FAILED,
    "USER_CANCELLED": MessageStatus.FAILED,
    "OUT_OF_CREDIT": MessageStatus.FAILED,
    "MAX_MT_EXCEEDED": MessageStatus.FAILED,
}
# The One API status codes of the statuses the sandbox reports.
STATUS_CODES = {"QUEUED": 2, "SENT_TO_SUPPLIER": 4, "DEVICE_ACK": 5, "READ": 6, "DELIVERY_FAILURE": 23,
                "STOPPED_BY_ADMIN": 22}  # fmt: skip
SIMULATED = {
    "queued": "QUEUED",
    "sent": "SENT_TO_SUPPLIER",
    "delivered": "DEVICE_ACK",
    "read": "READ",
    "undelivered": "DELIVERY_FAILURE",
    "failed": "STOPPED_BY_ADMIN",
}


def _clickatell_number(number: str) -> str:
    digits = number.strip()
    return digits[1:] if digits.startswith("+") and digits[1:].isdigit() else digits


def _document(request: base.WebhookRequest) -> dict[str, Any]:
    """A callback's fields: JSON (One API, and the Platform API's JSON option) or form (its POST/GET options)."""
    if request.method == "GET" or (request.content_type != "application/json" and request.body.lstrip()[:1] != b"{"):
        return dict(request.form())
    document = request.json()
    if not isinstance(document, dict):
        raise UnparsableWebhook("Clickatell callback must be a JSON object")
    return document


def _events(document: dict[str, Any], kind: str) -> list[dict[str, Any]] | None:
    """The One API `event.{kind}` list, or None for a flat (Platform SMS API) callback."""
    event = document.get("event")
    if not isinstance(event, dict):
        return None
    items = event.get(kind, [])
    if items is None:
        items = []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise UnparsableWebhook(f"Clickatell event.{kind} must be a list of objects")
    return items


def _part(udh: str) -> tuple[str, int, int] | None:
    """The concatenation element of a hex user data header (IEI 00: 8-bit reference, IEI 08: 16-bit)."""
    try:
        header = bytes.fromhex(udh.strip())
    except ValueError:
        return None
    position = 1
    while len(header) > 0 and position + 1 < min(len(header), header[0] + 1):
        iei, length = header[position], header[position + 1]
        value = header[position + 2 : position + 2 + length]
        if iei == 0x00 and length == 3 and len(value) == 3:
            return f"{value[0]:02x}", value[2], value[1]
        if iei == 0x08 and length == 4 and len(value) == 4:
            return f"{value[0]:02x}{value[1]:02x}", value[3], value[2]
        position += 2 + length
    return None


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """One API errors: `{"messages": [], "error": {"code": 1, "description": ..., "documentation": ...}}`."""
    error = detail.get("error") if isinstance(detail, dict) else None
    if not isinstance(error, dict) or error.get("code") is None:
        return None
    return status == 429 or status >= 500, str(error["code"])


class ClickatellAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "clickatell"
    required_credentials: ClassVar[tuple[str, ...]] = ("apiKey", "webhookSecret")
    supports_mms: ClassVar[bool] = False  # One API media arrives base64-encoded in moMedia (WhatsApp), not as URLs
    default_api_base_url: ClassVar[str] = "https://platform.clickatell.com"
    signs_body: ClassVar[bool] = False
    status_url_per_message: ClassVar[bool] = False

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        base.verify_webhook_secret(request, account.credentials["webhookSecret"])

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        document = _document(request)
        items = _events(document, "moText")
        if items is None:
            return [self._platform_reply(document)]
        messages = []
        for item in items:
            if str(item.get("channel") or "sms").strip().lower() != "sms":
                continue  # a WhatsApp reply on an integration shared with WhatsApp is not ours
            if not item.get("messageId") or not item.get("from") or not item.get("to"):
                raise UnparsableWebhook("Clickatell moText needs messageId, from and to")
            messages.append(
                InboundMessage(
                    provider=self.name,
                    provider_message_id=str(item["messageId"]),
                    **{"from": base.international_number(str(item["from"]))},
                    to=base.international_number(str(item["to"])),
                    body=str(item.get("content") or ""),
                )
            )
        return messages

    def _platform_reply(self, fields: dict[str, Any]) -> InboundMessage:
        # `messageId` is the message replied to; the reply's own id is `replyMessageId`.
        reply_id = fields.get("replyMessageId") or fields.get("messageId")
        if not reply_id or not fields.get("fromNumber") or not fields.get("toNumber"):
            raise UnparsableWebhook("Clickatell reply needs replyMessageId, fromNumber and toNumber")
        return InboundMessage(
            provider=self.name,
            provider_message_id=str(reply_id),
            **{"from": base.international_number(str(fields["fromNumber"]))},
            to=base.international_number(str(fields["toNumber"])),
            body=str(fields.get("text") or ""),
            part=_part(str(fields.get("udh") or "")),
        )

    def parse_inbound_statuses(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        """An integration may point its status callback at the inbound URL too: One API events tell them apart."""
        items = _events(_document(request), "messageStatusUpdate")
        return [self._status(item) for item in items or []]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        document = _document(request)
        items = _events(document, "messageStatusUpdate")
        return [self._status(item) for item in (items if items is not None else [document])]

    def _status(self, item: dict[str, Any]) -> StatusUpdate:
        name = str(item.get("status") or "").strip().upper()
        if not item.get("messageId") or name not in STATUS_MAP:
            raise UnparsableWebhook(f"Clickatell status needs messageId and a known status, got {name!r}")
        status = STATUS_MAP[name]
        code = item.get("statusCode")
        return StatusUpdate(
            provider=self.name,
            provider_message_id=str(item["messageId"]),
            status=status,
            provider_status=name,
            error_code=str(code)
            if code not in (None, "") and status in {MessageStatus.UNDELIVERED, MessageStatus.FAILED}
            else None,
        )

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        message: dict[str, Any] = {"channel": "sms", "to": _clickatell_number(sms.to), "content": sms.body}
        if sms.from_:
            message["from"] = _clickatell_number(sms.from_)  # a two-way number of the integration
        if sms.client_reference:
            message["clientMessageId"] = sms.client_reference
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/v1/message",
            classify=_classify_error,
            json={"messages": [message]},
            headers={"Authorization": account.credentials["apiKey"], "Accept": "application/json"},
        )
        data, sent = base.read_answer(response, self.name, lambda data: dict(data["messages"][0]))
        accepted = bool(sent.get("accepted"))
        if not accepted:  # a message-level reject inside a 2xx answer
            error = sent["error"] if isinstance(sent.get("error"), dict) else {}
            code = str(error.get("code")) if error.get("code") is not None else "rejected"
            raise base.SendError(
                f"clickatell rejected the message: {error.get('description') or code}",
                retryable=False,  # about this message (destination, content): the same send fails again
                code=code,
            )
        if not sent.get("apiMessageId"):
            raise base.SendError(f"clickatell answered no apiMessageId: {response.text[:200]}", retryable=True)
        return base.SendResult(provider_message_id=str(sent["apiMessageId"]), status=MessageStatus.QUEUED, raw=data)

    # --- Clickatell's side ------------------------------------------------------------------------------------

    @staticmethod
    def _callback(account: Account, suffix: str, kind: str, items: list[dict[str, Any]]) -> base.SimulatedWebhook:
        document = {
            "integrationId": "fa8090815f05d5ed015f0b5b56080cd2",
            "integrationName": "Contact center",
            "event": {kind: items},
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={"Content-Type": "application/json"},
            body=json.dumps(document, ensure_ascii=False).encode(),
            query={"secret": account.credentials["webhookSecret"]},
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        item = {
            "channel": "sms",
            "messageId": message_id,
            "relatedMessageId": None,
            "relatedClientMessageId": None,
            "from": _clickatell_number(from_),
            "to": _clickatell_number(account.phone_number),
            "timestamp": 1735000000000,
            "content": body,
            "charset": "UTF-8",
        }
        return self._callback(account, "", "moText", [item])

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        name = SIMULATED.get(status.lower(), "DEVICE_ACK")
        item = {
            "channel": "sms",
            "messageId": provider_message_id,
            "clientMessageId": None,
            "status": name,
            "statusCode": STATUS_CODES[name],
            "timestamp": 1735000004000,
        }
        return self._callback(account, "/status", "messageStatusUpdate", [item])

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        message = base.first_item(request.json(), "messages")
        sms = base.OutboundSms(
            to=base.international_number(str(message.get("to") or "")),
            from_=base.international_number(str(message.get("from") or "")),
            body=str(message.get("content") or ""),
            client_reference=message.get("clientMessageId"),
        )
        if not request.header("authorization"):
            error = {"code": 1, "description": "Invalid or missing integration API Key.", "documentation": ""}
            return 401, {"messages": [], "error": error}, sms
        if not sms.to or not sms.body:
            error = {"code": 101, "description": "Invalid or missing parameter.", "documentation": ""}
            return 400, {"messages": [{"accepted": False, "to": message.get("to"), "error": error}], "error": None}, sms
        accepted = {"apiMessageId": message_id, "accepted": True, "to": message.get("to"), "error": None}
        if sms.client_reference:
            accepted["clientMessageId"] = sms.client_reference
        return 202, {"messages": [accepted], "error": None}, sms
