"""A generic JSON + HMAC-SHA256 provider, for any SMS gateway that can be taught one small contract
(docs/providers.md has the full contract for gateway implementers).

Both directions sign the same way: `X-Timestamp: <unix seconds>` and
`X-Signature: sha256=<hex HMAC-SHA256 of "{X-Timestamp}.{raw body}" keyed by the account's secret>`; a timestamp
more than `REPLAY_WINDOW_SECONDS` from now is refused.

- Inbound (gateway → `/webhooks/{accountId}`): `{id, from, to, text, media: [{url, contentType}], timestamp}`,
  optionally `part: {reference, number, total}` when the gateway delivers a concatenated SMS in parts.
- Status (gateway → `/webhooks/{accountId}/status`): `{id, status, errorCode}`, status one of ours
  (queued, sent, delivered, undelivered, failed, read).
- Send (us → `POST {apiBaseUrl}/messages`): `{from, to, text, media: [{url}], clientReference, statusCallbackUrl}`,
  answered `2xx {id, status}`; an error answers `{errorCode, message, retryable?}` (429 and 5xx are retryable
  unless `retryable` says otherwise).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

REPLAY_WINDOW_SECONDS = 300
SIGNATURE_PREFIX = "sha256="
STATUS_MAP: dict[str, MessageStatus] = {status.value: status for status in MessageStatus if status.value != "received"}


def _now() -> float:
    return time.time()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(_now()))
    return {
        "Content-Type": "application/json",
        "X-Timestamp": timestamp,
        "X-Signature": signature(secret, timestamp, body),
    }


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    if not isinstance(detail, dict):
        return None
    code = str(detail.get("errorCode") or status)
    retryable = detail.get("retryable")
    if isinstance(retryable, bool):
        return retryable, code
    return status == 429 or status >= 500, code


def _object(request: base.WebhookRequest) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise UnparsableWebhook("generic webhook body must be a JSON object")
    return data


class GenericAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "generic"
    required_credentials: ClassVar[tuple[str, ...]] = ("secret",)
    supports_mms: ClassVar[bool] = True
    default_api_base_url: ClassVar[str] = ""  # every generic account names its gateway (apiBaseUrl)

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        given = base.require_header(request, "X-Signature")
        timestamp = base.require_header(request, "X-Timestamp")
        expected = signature(account.credentials["secret"], timestamp, request.body)
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            raise InvalidSignature("X-Signature does not match the request")
        try:
            age = abs(_now() - int(timestamp))
        except ValueError as exc:
            raise InvalidSignature("X-Timestamp is not a unix time") from exc
        if age > REPLAY_WINDOW_SECONDS:
            raise InvalidSignature(f"X-Timestamp is outside the {REPLAY_WINDOW_SECONDS} s window (replayed?)")

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        data = _object(request)
        if not data.get("id") or not data.get("from") or not data.get("to"):
            raise UnparsableWebhook("generic inbound needs id, from and to")
        media = []
        for item in data.get("media") or []:
            if not isinstance(item, dict) or not item.get("url"):
                raise UnparsableWebhook("each media item needs a url")
            media.append(Media(url=str(item["url"]), content_type=item.get("contentType")))
        part = None
        if isinstance(data.get("part"), dict):
            try:
                part = (str(data["part"]["reference"]), int(data["part"]["number"]), int(data["part"]["total"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise UnparsableWebhook("part needs reference, number and total") from exc
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(data["id"]),
                **{"from": str(data["from"])},
                to=str(data["to"]),
                body=str(data.get("text") or ""),
                media=media,
                part=part,
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        data = _object(request)
        raw = str(data.get("status") or "").lower()
        if not data.get("id") or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"generic status needs id and a status in {sorted(STATUS_MAP)}, got {raw!r}")
        error_code = data.get("errorCode")
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=str(data["id"]),
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=str(error_code) if error_code not in (None, "") else None,
            )
        ]

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        gateway = self.api_base(account)
        if not gateway:
            raise base.SendError("generic account has no apiBaseUrl", retryable=False, code="no_api_base_url")
        payload: dict[str, Any] = {
            "from": sms.from_,
            "to": sms.to,
            "text": sms.body,
            "media": [{"url": url} for url in sms.media],
            "clientReference": sms.client_reference,
            "statusCallbackUrl": sms.status_callback_url,
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{gateway}/messages",
            classify=_classify_error,
            data=body,
            headers=signed_headers(account.credentials["secret"], body),
        )
        data, message_id = base.read_answer(response, "generic gateway", lambda data: str(data["id"]))
        return base.SendResult(provider_message_id=message_id, status=str(data.get("status") or "queued"), raw=data)

    # --- the gateway's side -----------------------------------------------------------------------------------

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        payload = {
            "id": message_id,
            "from": from_,
            "to": account.phone_number,
            "text": body,
            "media": [{"url": media_url, "contentType": "image/jpeg"} for media_url in media],
            "timestamp": int(_now()),
        }
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return base.SimulatedWebhook("POST", "", signed_headers(account.credentials["secret"], raw), raw)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        error_code = "unreachable" if status in {"failed", "undelivered"} else None
        raw = json.dumps({"id": provider_message_id, "status": status, "errorCode": error_code}).encode()
        return base.SimulatedWebhook("POST", "/status", signed_headers(account.credentials["secret"], raw), raw)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        sms = base.OutboundSms(
            to=str(data.get("to") or ""),
            from_=str(data.get("from") or ""),
            body=str(data.get("text") or ""),
            media=[str(item.get("url")) for item in data.get("media") or [] if isinstance(item, dict)],
            client_reference=data.get("clientReference"),
            status_callback_url=data.get("statusCallbackUrl"),
        )
        if not request.header("x-signature") or not request.header("x-timestamp"):
            return 401, {"errorCode": "missing_signature", "message": "X-Signature and X-Timestamp are required"}, sms
        if not sms.to or not (sms.body or sms.media):
            return 400, {"errorCode": "invalid_message", "message": "to and text (or media) are required"}, sms
        return 202, {"id": message_id, "status": "queued"}, sms
