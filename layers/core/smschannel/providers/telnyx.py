"""Telnyx Messaging (API v2): JSON webhooks signed with Ed25519, message.* events, `POST /v2/messages`.

Telnyx signs `f"{telnyx-timestamp}|{raw body}"` with its Ed25519 key and sends the base64 signature in
`telnyx-signature-ed25519`; the account's `publicKey` is the base64 public key shown in the Telnyx portal. A
timestamp more than `TOLERANCE_SECONDS` away from now is refused (Telnyx's SDK uses the same 300 s tolerance).
`privateKey` (base64 Ed25519 seed) is optional and only used by the sandbox and tests, which play Telnyx's side.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from smschannel.errors import InvalidConfiguration, InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

TOLERANCE_SECONDS = 300

STATUS_MAP: dict[str, MessageStatus] = {
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "delivery_unconfirmed": MessageStatus.SENT,  # the carrier sent no receipt: not known to have failed
    "delivered": MessageStatus.DELIVERED,
    "sending_failed": MessageStatus.FAILED,
    "delivery_failed": MessageStatus.UNDELIVERED,
}
STATUS_EVENTS = {"message.sent", "message.finalized"}


def _now() -> float:
    return time.time()


def _b64_key(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidConfiguration(f"{what} is not base64", field=f"credentials.{what}") from exc
    if len(raw) != 32:
        raise InvalidConfiguration(f"{what} must be a base64 Ed25519 key (32 bytes)", field=f"credentials.{what}")
    return raw


def sign(private_key_b64: str, timestamp: str, body: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(_b64_key(private_key_b64, "privateKey"))
    return base64.b64encode(key.sign(timestamp.encode() + b"|" + body)).decode()


def new_key_pair() -> tuple[str, str]:
    """(publicKey, privateKey) as base64 raw Ed25519 keys, for sandbox accounts and tests."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw_public).decode(), base64.b64encode(raw_private).decode()


def _as_uuid(message_id: str) -> str:
    """Telnyx message ids are UUIDs: the sandbox's hex ids are shown in that form."""
    try:
        return str(uuid.UUID(hex=message_id))
    except ValueError:
        return message_id


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """Telnyx errors are `{"errors": [{"code": "40310", "title": ..., "detail": ...}]}`: keep its code."""
    if isinstance(detail, dict):
        errors = detail.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("code"):
            return status == 429 or status >= 500, str(errors[0]["code"])
    return None


class TelnyxAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "telnyx"
    required_credentials: ClassVar[tuple[str, ...]] = ("apiKey", "publicKey")
    supports_mms: ClassVar[bool] = True
    default_api_base_url: ClassVar[str] = "https://api.telnyx.com"

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        signature_b64 = base.require_header(request, "telnyx-signature-ed25519")
        timestamp = base.require_header(request, "telnyx-timestamp")
        public_key = Ed25519PublicKey.from_public_bytes(_b64_key(account.credentials["publicKey"], "publicKey"))
        try:
            public_key.verify(base64.b64decode(signature_b64), timestamp.encode() + b"|" + request.body)
        except (CryptoInvalidSignature, binascii.Error, ValueError) as exc:
            raise InvalidSignature("telnyx-signature-ed25519 does not match the request") from exc
        try:
            age = abs(_now() - int(timestamp))
        except ValueError as exc:
            raise InvalidSignature("telnyx-timestamp is not a unix time") from exc
        if age > TOLERANCE_SECONDS:
            raise InvalidSignature(f"telnyx-timestamp is outside the {TOLERANCE_SECONDS} s tolerance (replayed?)")

    @staticmethod
    def _event(request: base.WebhookRequest) -> tuple[str, dict[str, Any]]:
        document = request.json()
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
            raise UnparsableWebhook("Telnyx webhook needs data.payload")
        return str(data.get("event_type") or ""), data["payload"]

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        event_type, payload = self._event(request)
        if event_type != "message.received":
            return []
        sender = (payload.get("from") or {}).get("phone_number")
        recipients = payload.get("to") or []
        to = recipients[0].get("phone_number") if recipients and isinstance(recipients[0], dict) else None
        if not payload.get("id") or not sender or not to:
            raise UnparsableWebhook("Telnyx message.received needs payload.id, from.phone_number and to[0]")
        media = [
            Media(url=item["url"], content_type=item.get("content_type"))
            for item in payload.get("media") or []
            if isinstance(item, dict) and item.get("url")
        ]
        # Telnyx joins multipart SMS itself (payload.parts counts them): one webhook per message.
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(payload["id"]),
                **{"from": sender},
                to=to,
                body=payload.get("text") or "",
                media=media,
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        event_type, payload = self._event(request)
        if event_type not in STATUS_EVENTS:
            return []
        recipients = payload.get("to") or []
        raw = str(recipients[0].get("status") or "") if recipients and isinstance(recipients[0], dict) else ""
        if not payload.get("id") or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"Telnyx {event_type} needs payload.id and a known to[0].status, got {raw!r}")
        errors = payload.get("errors") or []
        error_code = str(errors[0].get("code")) if errors and isinstance(errors[0], dict) else None
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=str(payload["id"]),
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=error_code,
            )
        ]

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        payload: dict[str, Any] = {"from": sms.from_, "to": sms.to, "text": sms.body}
        if sms.media:
            payload["media_urls"] = list(sms.media)
        if sms.status_callback_url:
            payload["webhook_url"] = sms.status_callback_url
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/v2/messages",
            classify=_classify_error,
            json=payload,
            headers={"Authorization": f"Bearer {account.credentials['apiKey']}"},
        )
        data, message_id = base.read_answer(response, self.name, lambda answer: str(answer["data"]["id"]))
        data = data["data"]
        recipients = data.get("to") or [{}]
        return base.SendResult(
            provider_message_id=message_id, status=str(recipients[0].get("status", "queued")), raw=data
        )

    # --- Telnyx's side ----------------------------------------------------------------------------------------

    def sandbox_credentials(self) -> dict[str, str]:
        public_key, private_key = new_key_pair()
        return {"apiKey": "KEYsandbox0123456789", "publicKey": public_key, "privateKey": private_key}

    def _signed(self, account: Account, suffix: str, document: dict[str, Any]) -> base.SimulatedWebhook:
        private_key = account.credentials.get("privateKey")
        if not private_key:
            raise InvalidConfiguration(
                "simulating Telnyx needs the account's privateKey (sandbox/test accounts only)",
                field="credentials.privateKey",
            )
        body = json.dumps(document).encode()
        timestamp = str(int(_now()))
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={
                "Content-Type": "application/json",
                "telnyx-signature-ed25519": sign(private_key, timestamp, body),
                "telnyx-timestamp": timestamp,
                "User-Agent": "telnyx-webhooks",
            },
            body=body,
        )

    @staticmethod
    def _envelope(event_type: str, payload: dict[str, Any], url: str) -> dict[str, Any]:
        return {
            "data": {
                "event_type": event_type,
                "id": str(uuid.uuid4()),
                "occurred_at": utc_now(),
                "payload": payload,
                "record_type": "event",
            },
            "meta": {"attempt": 1, "delivered_to": url},
        }

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        payload = {
            "cc": [],
            "completed_at": None,
            "cost": None,
            "direction": "inbound",
            "encoding": "GSM-7",
            "errors": [],
            "from": {
                "carrier": "T-Mobile USA",
                "line_type": "long_code",
                "phone_number": from_,
                "status": "webhook_delivered",
            },
            "id": _as_uuid(message_id),
            "media": [
                {"url": media_url, "content_type": "image/jpeg", "sha256": None, "size": None} for media_url in media
            ],
            "messaging_profile_id": "40017f8e-49bd-4f16-9e3d-ef103f916228",
            "parts": 1,
            "received_at": utc_now(),
            "record_type": "message",
            "sent_at": None,
            "subject": "",
            "tags": [],
            "text": body,
            "to": [
                {
                    "carrier": "Telnyx",
                    "line_type": "Wireless",
                    "phone_number": account.phone_number,
                    "status": "webhook_delivered",
                }
            ],
            "type": "MMS" if media else "SMS",
            "valid_until": None,
            "webhook_failover_url": None,
            "webhook_url": url,
        }
        return self._signed(account, "", self._envelope("message.received", payload, url))

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        failed = status in {"sending_failed", "delivery_failed"}
        payload = {
            "direction": "outbound",
            "errors": [{"code": "40300", "title": "Blocked as spam", "detail": "Message blocked as spam."}]
            if failed
            else [],
            "from": {"carrier": "Telnyx", "line_type": "Wireless", "phone_number": account.phone_number},
            "id": provider_message_id,
            "media": [],
            "parts": 1,
            "record_type": "message",
            "text": "",
            "to": [
                {"carrier": "T-Mobile USA", "line_type": "Wireless", "phone_number": "+14155550123", "status": status}
            ],
            "type": "SMS",
        }
        event_type = "message.sent" if status in {"queued", "sending", "sent"} else "message.finalized"
        return self._signed(account, "/status", self._envelope(event_type, payload, url))

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        sms = base.OutboundSms(
            to=str(data.get("to", "")),
            from_=str(data.get("from", "")),
            body=str(data.get("text", "")),
            media=[str(item) for item in data.get("media_urls") or []],
            status_callback_url=data.get("webhook_url"),
        )
        if not (request.header("authorization") or "").lower().startswith("bearer "):
            error = {"code": "10009", "title": "Authentication failed", "detail": "The API key is missing."}
            return 401, {"errors": [error]}, sms
        if not sms.to or not sms.from_ or not (sms.body or sms.media):
            error = {"code": "10005", "title": "Invalid parameter", "detail": "from, to and text are required."}
            return 422, {"errors": [error]}, sms
        message = {
            "record_type": "message",
            "direction": "outbound",
            "id": _as_uuid(message_id),
            "type": "MMS" if sms.media else "SMS",
            "messaging_profile_id": "40017f8e-49bd-4f16-9e3d-ef103f916228",
            "from": {"phone_number": sms.from_, "carrier": "Telnyx", "line_type": "Wireless"},
            "to": [
                {"phone_number": sms.to, "status": "queued", "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"}
            ],
            "text": sms.body,
            "media": [{"url": url, "content_type": None, "sha256": None, "size": None} for url in sms.media],
            "webhook_url": sms.status_callback_url,
            "encoding": "GSM-7",
            "parts": 1,
            "tags": [],
            "cost": None,
            "received_at": utc_now(),
            "sent_at": None,
            "completed_at": None,
            "valid_until": None,
            "errors": [],
        }
        return 200, {"data": message}, sms
