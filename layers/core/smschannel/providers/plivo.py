"""Plivo Messaging: form webhooks signed with X-Plivo-Signature-V3, status callbacks, the Message API.

Signature V3 (as Plivo's SDK `plivo.utils.validate_v3_signature` computes it): the callback URL without its
query, then `?` and its query parameters sorted as `k=v` joined by `&`; for a POST with fields, a `.` after a
non-empty query and then every field sorted by name as `namevalue`; finally `.` and the nonce header. The
signature is base64 HMAC-SHA256 of that with the auth token; the header may list several, comma-separated.
Plivo signs no timestamp, so a replay cannot be told from a retry here: duplicates are caught by MessageUUID.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

EMPTY_XML = '<?xml version="1.0" encoding="utf-8"?><Response></Response>'

STATUS_MAP: dict[str, MessageStatus] = {
    "queued": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "rejected": MessageStatus.FAILED,
    "read": MessageStatus.READ,
}


def _sorted_query(pairs: list[tuple[str, str]]) -> str:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return "&".join(f"{key}={value}" for key in sorted(grouped) for value in sorted(grouped[key]))


def _sorted_fields(pairs: list[tuple[str, str]]) -> str:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return "".join(f"{key}{value}" for key in sorted(grouped) for value in sorted(grouped[key]))


def signed_string(method: str, url: str, fields: list[tuple[str, str]]) -> str:
    """The string Plivo signs for a callback to `url` (before `.nonce`)."""
    parts = urlsplit(url)
    address = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query_pairs = parse_qsl(parts.query, keep_blank_values=True)
    if method.upper() == "GET":
        query = _sorted_query(query_pairs + fields)
        return address + ("?" + query if query else "")
    query = _sorted_query(query_pairs)
    if fields:
        return address + "?" + query + ("." if query else "") + _sorted_fields(fields)
    return address + ("?" + query if query else "")


def compute_signature(auth_token: str, method: str, url: str, fields: list[tuple[str, str]], nonce: str) -> str:
    payload = f"{signed_string(method, url, fields)}.{nonce}".encode()
    return base64.b64encode(hmac.new(auth_token.encode(), payload, hashlib.sha256).digest()).decode()


def _national(number: str) -> str:
    return number.lstrip("+")


class PlivoAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "plivo"
    required_credentials: ClassVar[tuple[str, ...]] = ("authId", "authToken")
    supports_mms: ClassVar[bool] = True
    default_api_base_url: ClassVar[str] = "https://api.plivo.com"

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        given = base.require_header(request, "X-Plivo-Signature-V3")
        nonce = base.require_header(request, "X-Plivo-Signature-V3-Nonce")
        token = account.credentials["authToken"]
        candidates = [value.strip() for value in given.split(",") if value.strip()]
        fields = [] if request.method == "GET" else request.form_pairs()
        for url in request.urls:
            expected = compute_signature(token, request.method, url, fields, nonce)
            if any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
                return
        raise InvalidSignature("X-Plivo-Signature-V3 does not match the request")

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        form = request.form()
        uuid_, sender, to = form.get("MessageUUID"), form.get("From"), form.get("To")
        if not uuid_ or not sender or not to:
            raise UnparsableWebhook("Plivo inbound needs MessageUUID, From and To")
        kind = (form.get("Type") or "sms").lower()
        if kind not in {"sms", "mms"}:
            return []  # WhatsApp and other channels are not this SMS channel's
        # The docs number media from Media1 (MediaCount of them); accept a Media0 too.
        media = [
            Media(url=form[f"Media{index}"], content_type=form.get(f"MediaContentType{index}") or None)
            for index in range(0, self._media_count(form) + 1)
            if form.get(f"Media{index}")
        ]
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=uuid_,
                **{"from": base.international_number(sender)},
                to=base.international_number(to),
                body=form.get("Text") or form.get("Body") or "",
                media=media,
            )
        ]

    @staticmethod
    def _media_count(form: dict[str, str]) -> int:
        try:
            return int(form.get("MediaCount") or 0)
        except ValueError as exc:
            raise UnparsableWebhook("MediaCount is not a number") from exc

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        form = request.form()
        uuid_ = form.get("MessageUUID")
        raw = (form.get("Status") or "").lower()
        if not uuid_ or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"Plivo status callback needs MessageUUID and a known Status, got {raw!r}")
        error_code = form.get("ErrorCode") or None
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=uuid_,
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=error_code if error_code != "000" else None,
            )
        ]

    def inbound_answer(self) -> base.WebhookAnswer:
        # The message URL may answer with Message XML; an empty Response sends no reply.
        return base.WebhookAnswer(200, EMPTY_XML, "application/xml")

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        auth_id = account.credentials["authId"]
        payload: dict[str, Any] = {"src": _national(sms.from_), "dst": _national(sms.to), "text": sms.body}
        if sms.media:
            payload["type"] = "mms"
            payload["media_urls"] = list(sms.media)
        if sms.status_callback_url:
            payload["url"] = sms.status_callback_url
            payload["method"] = "POST"
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/v1/Account/{auth_id}/Message/",
            json=payload,
            auth=(auth_id, account.credentials["authToken"]),
        )
        data, message_uuid = base.read_answer(response, self.name, lambda data: data["message_uuid"][0])
        return base.SendResult(provider_message_id=str(message_uuid), status="queued", raw=data)

    # --- Plivo's side -----------------------------------------------------------------------------------------

    def _signed_post(self, account: Account, url: str, suffix: str, form: dict[str, str]) -> base.SimulatedWebhook:
        nonce = str(uuid.uuid4().int)[:20]
        signature = compute_signature(account.credentials["authToken"], "POST", url, list(form.items()), nonce)
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Plivo-Signature-V3": signature,
                "X-Plivo-Signature-V3-Nonce": nonce,
                "User-Agent": "PlivoHTTP/1.0",
            },
            body=urlencode(form).encode(),
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        form: dict[str, str] = {
            "From": _national(from_),
            "To": _national(account.phone_number),
            "Type": "mms" if media else "sms",
            "MessageUUID": str(uuid.UUID(hex=message_id)) if _is_hex32(message_id) else message_id,
            "Units": "1",
            "TotalRate": "0.00000",
            "TotalAmount": "0.00000",
            "MessageIntent": "",
            "PowerpackUUID": "",
        }
        if media:
            form["Body"] = body
            form["MediaCount"] = str(len(media))
            for index, media_url in enumerate(media, start=1):
                form[f"Media{index}"] = media_url
        else:
            form["Text"] = body
        return self._signed_post(account, url, "", form)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        form = {
            "MessageUUID": provider_message_id,
            "ParentMessageUUID": provider_message_id,
            "From": _national(account.phone_number),
            "To": "14155550123",
            "Type": "sms",
            "Status": status,
            "Units": "1",
            "TotalRate": "0.00500",
            "TotalAmount": "0.00500",
            "MCC": "310",
            "MNC": "260",
            "ErrorCode": "" if status in {"queued", "sent", "delivered", "read"} else "200",
            "Sequence": "1",
            "PartInfo": "1 of 1",
        }
        return self._signed_post(account, url, "/status", form)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        sms = base.OutboundSms(
            to=base.international_number(str(data.get("dst", ""))),
            from_=base.international_number(str(data.get("src", ""))),
            body=str(data.get("text", "")),
            media=[str(item) for item in data.get("media_urls") or []],
            status_callback_url=data.get("url"),
        )
        api_id = str(uuid.uuid4())
        if not (request.header("authorization") or "").lower().startswith("basic "):
            return 401, {"api_id": api_id, "error": "authentication failed"}, sms
        if not data.get("src") or not data.get("dst") or not (data.get("text") or data.get("media_urls")):
            return 400, {"api_id": api_id, "error": "src, dst and text are required"}, sms
        message_uuid = str(uuid.UUID(hex=message_id)) if _is_hex32(message_id) else message_id
        return 202, {"api_id": api_id, "message": "message(s) queued", "message_uuid": [message_uuid]}, sms


def _is_hex32(value: str) -> bool:
    try:
        uuid.UUID(hex=value)
    except ValueError:
        return False
    return len(value) == 32
