"""Sinch SMS REST API (XMS): MO callbacks (`mo_text`, `mo_binary`, `mo_media`), delivery reports, `/batches`.

Signed callbacks (enabled on the service plan by Sinch; the secret is the account's `webhookSecret`) carry
`x-sinch-webhook-signature` = base64 HMAC-SHA256 of `"{raw body}.{nonce}.{timestamp}"` with the
`-nonce`, `-timestamp` and `-algorithm` (HmacSHA256 or HmacSHA512) headers, as Sinch's SDK validates them; a
timestamp more than `REPLAY_WINDOW_SECONDS` from now is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

REPLAY_WINDOW_SECONDS = 300
ALGORITHMS = {"hmacsha256": hashlib.sha256, "hmacsha512": hashlib.sha512}

STATUS_MAP: dict[str, MessageStatus] = {
    "queued": MessageStatus.QUEUED,
    "dispatched": MessageStatus.SENT,
    "unknown": MessageStatus.SENT,  # no operator receipt: not known to have failed
    "delivered": MessageStatus.DELIVERED,
    "expired": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.UNDELIVERED,
    "rejected": MessageStatus.FAILED,
    "aborted": MessageStatus.FAILED,
    "cancelled": MessageStatus.FAILED,
    "deleted": MessageStatus.FAILED,
}
_FAILED = {MessageStatus.FAILED, MessageStatus.UNDELIVERED}
MO_TYPES = {"mo_text", "mo_binary", "mo_media"}
REPORT_TYPES = {"recipient_delivery_report_sms", "recipient_delivery_report_mms", "delivery_report_sms"}


def _now() -> float:
    return time.time()


def signature(secret: str, body: bytes, nonce: str, timestamp: str, algorithm: str = "HmacSHA256") -> str:
    digest = ALGORITHMS.get(algorithm.lower())
    if digest is None:
        raise InvalidSignature(f"unsupported x-sinch-webhook-signature-algorithm {algorithm!r}")
    signed = body + f".{nonce}.{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, digest).digest()).decode()


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """Sinch errors are `{"code": "syntax_invalid_parameter_format", "text": ...}`: keep its code."""
    if isinstance(detail, dict) and detail.get("code"):
        return status == 429 or status >= 500, str(detail["code"])
    return None


class SinchAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "sinch"
    required_credentials: ClassVar[tuple[str, ...]] = ("servicePlanId", "apiToken", "webhookSecret")
    supports_mms: ClassVar[bool] = False  # mo_media is read; sending is text only (mt_media carries one URL)
    default_api_base_url: ClassVar[str] = "https://us.sms.api.sinch.com"

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        given = base.require_header(request, "x-sinch-webhook-signature")
        nonce = base.require_header(request, "x-sinch-webhook-signature-nonce")
        timestamp = base.require_header(request, "x-sinch-webhook-signature-timestamp")
        algorithm = request.header("x-sinch-webhook-signature-algorithm") or "HmacSHA256"
        expected = signature(account.credentials["webhookSecret"], request.body, nonce, timestamp, algorithm)
        if not hmac.compare_digest(expected.encode(), given.strip().encode()):
            raise InvalidSignature("x-sinch-webhook-signature does not match the request")
        try:
            age = abs(_now() - int(timestamp))
        except ValueError as exc:
            raise InvalidSignature("x-sinch-webhook-signature-timestamp is not a unix time") from exc
        if age > REPLAY_WINDOW_SECONDS:
            raise InvalidSignature(f"signature timestamp is outside the {REPLAY_WINDOW_SECONDS} s window (replayed?)")

    @staticmethod
    def _object(request: base.WebhookRequest) -> dict[str, Any]:
        data = request.json()
        if not isinstance(data, dict):
            raise UnparsableWebhook("Sinch callback body must be a JSON object")
        return data

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        data = self._object(request)
        kind = data.get("type")
        if kind not in MO_TYPES:
            return []
        if not data.get("id") or not data.get("from") or not data.get("to"):
            raise UnparsableWebhook("Sinch MO needs id, from and to")
        media: list[Media] = []
        if kind == "mo_text":
            text = str(data.get("body") or "")
        elif kind == "mo_media":
            raw_content = data.get("body")
            content: dict[str, Any] = raw_content if isinstance(raw_content, dict) else {}
            text = str(content.get("message") or "")
            media = [
                Media(url=str(item["url"]), content_type=item.get("mimeType"))
                for item in content.get("media") or []
                if isinstance(item, dict) and item.get("url")
            ]
        else:
            return []  # mo_binary: base64 payload + udh, no text for an agent
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(data["id"]),
                **{"from": base.international_number(str(data["from"]))},
                to=base.international_number(str(data["to"])),
                body=text,
                media=media,
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        data = self._object(request)
        kind = data.get("type")
        if kind not in REPORT_TYPES or not data.get("batch_id"):
            raise UnparsableWebhook(f"Sinch delivery report needs a known type and batch_id, got {kind!r}")
        if kind == "delivery_report_sms":  # a batch summary: one entry per status
            entries = [entry for entry in data.get("statuses") or [] if isinstance(entry, dict)]
        else:
            entries = [data]
        updates = []
        for entry in entries:
            raw = str(entry.get("status") or "").lower()
            if raw not in STATUS_MAP:
                raise UnparsableWebhook(f"unknown Sinch delivery status {raw!r}")
            code = entry.get("code")
            updates.append(
                StatusUpdate(
                    provider=self.name,
                    provider_message_id=str(data["batch_id"]),
                    status=STATUS_MAP[raw],
                    provider_status=raw,
                    error_code=str(code) if code not in (None, 0, "0") and STATUS_MAP[raw] in _FAILED else None,
                )
            )
        return updates

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        plan = account.credentials["servicePlanId"]
        payload: dict[str, Any] = {"from": sms.from_, "to": [sms.to], "body": sms.body}
        if sms.status_callback_url:
            payload["delivery_report"] = "per_recipient"
            payload["callback_url"] = sms.status_callback_url
        if sms.client_reference:
            payload["client_reference"] = sms.client_reference
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/xms/v1/{plan}/batches",
            classify=_classify_error,
            json=payload,
            headers={"Authorization": f"Bearer {account.credentials['apiToken']}"},
        )
        data, batch_id = base.read_answer(response, self.name, lambda data: str(data["id"]))
        return base.SendResult(provider_message_id=batch_id, status="queued", raw=data)

    # --- Sinch's side -----------------------------------------------------------------------------------------

    def _signed(self, account: Account, suffix: str, document: dict[str, Any]) -> base.SimulatedWebhook:
        body = json.dumps(document).encode()
        nonce, timestamp = uuid.uuid4().hex, str(int(_now()))
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={
                "Content-Type": "application/json",
                "x-sinch-webhook-signature": signature(account.credentials["webhookSecret"], body, nonce, timestamp),
                "x-sinch-webhook-signature-nonce": nonce,
                "x-sinch-webhook-signature-timestamp": timestamp,
                "x-sinch-webhook-signature-algorithm": "HmacSHA256",
            },
            body=body,
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        now = utc_now()
        document = {
            "id": message_id.upper()[:26],
            "from": from_.lstrip("+"),
            "to": account.phone_number.lstrip("+"),
            "body": body,
            "type": "mo_text",
            "received_at": now,
            "sent_at": now,
            "operator_id": "31000",
        }
        return self._signed(account, "", document)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        code = {"delivered": 0, "dispatched": 401, "queued": 400, "failed": 404, "expired": 406, "rejected": 402}
        document = {
            "type": "recipient_delivery_report_sms",
            "batch_id": provider_message_id,
            "recipient": "+14155550123",
            "code": code.get(status.lower(), 0),
            "status": status.capitalize(),
            "at": utc_now(),
            "operator_status_at": utc_now(),
        }
        return self._signed(account, "/status", document)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        recipients = data.get("to") or [""]
        sms = base.OutboundSms(
            to=str(recipients[0]),
            from_=str(data.get("from") or ""),
            body=str(data.get("body") or ""),
            client_reference=data.get("client_reference"),
            status_callback_url=data.get("callback_url"),
        )
        if not (request.header("authorization") or "").lower().startswith("bearer "):
            return 401, {"code": "unauthorized", "text": "Unauthorized"}, sms
        if not sms.to or not sms.body:
            return 400, {"code": "missing_parameter", "text": "Missing parameter: to or body"}, sms
        now = utc_now()
        batch = {
            "id": message_id.upper()[:26],
            "to": [sms.to],
            "from": sms.from_,
            "canceled": False,
            "body": sms.body,
            "type": "mt_text",
            "created_at": now,
            "modified_at": now,
            "delivery_report": data.get("delivery_report", "none"),
            "callback_url": sms.status_callback_url,
            "client_reference": sms.client_reference,
            "flash_message": False,
        }
        return 201, batch, sms
