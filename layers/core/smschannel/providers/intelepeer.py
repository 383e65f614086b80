"""IntelePeer Atmosphere Messaging: inbound SMS posted to the number's webhook, `POST /_rest/v4/app/sms/send`
with a bearer token, and delivery status by polling `/_rest/v4/app/sms/mdr` (IntelePeer posts no receipts).

IntelePeer signs nothing; each inbound post carries, in its `signature` field, the shared code configured in the
Customer Portal, which is the account's `webhookSecret`. Basic auth or `?secret=` on the webhook URL work too
(`verify_webhook_secret`). Tokens come from `POST /_rest/v4/authenticate` (username/password, valid 24 h) and are
cached per user; an account may instead hold a long-lived `apiToken` from the portal.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any, ClassVar

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

AUTH_URL = "https://customer.intelepeer.com/_rest/v4/authenticate"
# Tokens from the authenticate API live 24 h; renewing an hour early keeps a send from racing the expiry.
TOKEN_LIFETIME = 23 * 3600.0
# `RCC_en` of a message detail record (the current values and the older upper-case ones). The `DLR:*` values are
# the SMPP 3.4 delivery-receipt states (table B-2) reported by the carrier.
MDR_STATUSES: dict[str, MessageStatus] = {
    "QUEUED": MessageStatus.QUEUED,
    "PROCESSING": MessageStatus.QUEUED,
    "CREATED": MessageStatus.QUEUED,
    "ENQUEUED": MessageStatus.QUEUED,
    "SENT": MessageStatus.SENT,
    "ACCEPTED": MessageStatus.SENT,
    "UNKNOWN": MessageStatus.SENT,
    "FAILED": MessageStatus.FAILED,
    "DELIVERED": MessageStatus.DELIVERED,
    "DLR:DELIVERED": MessageStatus.DELIVERED,
    "DLR:ACCEPTED": MessageStatus.SENT,
    "DLR:UNKNOWN": MessageStatus.SENT,
    "DLR:EXPIRED": MessageStatus.UNDELIVERED,
    "DLR:DELETED": MessageStatus.UNDELIVERED,
    "DLR:UNDELIVERABLE": MessageStatus.UNDELIVERED,
    "DLR:REJECTED": MessageStatus.UNDELIVERED,
}

UNAUTHORIZED = "unauthorized"
# (auth URL, username) -> (token, monotonic expiry): a warm Lambda container reuses its token across sends.
_tokens: dict[tuple[str, str], tuple[str, float]] = {}


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """IntelePeer errors carry text, not codes (`{"error": "token has expired"}`, `{"detail": "unauthorized"}`):
    a 401 is an expired or wrong token, which the sender renews once; everything else keeps the HTTP status."""
    return (False, UNAUTHORIZED) if status == 401 else None


def status_from_mdr(provider_message_id: str, record: Any) -> StatusUpdate:
    """A message detail record (`{"code": 200, "RCC_en": "DLR:Delivered", "RCC": 210000}`) as a status update."""
    if not isinstance(record, dict):
        raise UnparsableWebhook("IntelePeer MDR must be an object")
    name = str(record.get("RCC_en") or "").strip()
    if name.upper() not in MDR_STATUSES:
        raise UnparsableWebhook(f"IntelePeer MDR has an unknown RCC_en {name!r}")
    status = MDR_STATUSES[name.upper()]
    code = record.get("RCC")
    failed = status in {MessageStatus.UNDELIVERED, MessageStatus.FAILED}
    return StatusUpdate(
        provider="intelepeer",
        provider_message_id=provider_message_id,
        status=status,
        provider_status=name,
        error_code=str(code) if failed and code not in (None, "") else None,
    )


class IntelePeerAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "intelepeer"
    required_credentials: ClassVar[tuple[str, ...]] = ("username", "password", "webhookSecret")
    supports_mms: ClassVar[bool] = False  # the MMS fields of the v4 API are not in the documentation we rely on
    default_api_base_url: ClassVar[str] = "https://api.intelepeer.com"
    signs_body: ClassVar[bool] = False
    # IntelePeer takes no callback URL with a send and posts no delivery receipts at all (see parse_status).
    status_url_per_message: ClassVar[bool] = False
    polls_status: ClassVar[bool] = True

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        secret = account.credentials["webhookSecret"]
        given = self._body_signature(request)
        if given is None:
            base.verify_webhook_secret(request, secret)
            return
        if not secret:
            raise InvalidSignature("the account has no webhook secret configured")
        if not base.constant_time_equals(secret, given):
            raise InvalidSignature("IntelePeer signature does not match the account's shared code")

    @staticmethod
    def _body_signature(request: base.WebhookRequest) -> str | None:
        """The `signature` field of a JSON post, or None where there is none (or the body is not JSON)."""
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            return None
        signature = document.get("signature") if isinstance(document, dict) else None
        return signature if isinstance(signature, str) else None

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        document = request.json()
        if not isinstance(document, dict):
            raise UnparsableWebhook("IntelePeer inbound must be a JSON object")
        refid, sender, to = (str(document.get(key) or "").strip() for key in ("refid", "from", "to"))
        if not refid or not sender or not to:
            raise UnparsableWebhook("IntelePeer inbound needs refid, from and to")
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=refid,
                **{"from": base.international_number(sender)},
                to=base.international_number(to),
                body=str(document.get("message") or ""),
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        raise UnparsableWebhook(
            "IntelePeer posts no delivery receipts (none is documented): poll the message detail record with "
            "IntelePeerAdapter.fetch_status instead"
        )

    # --- sending ----------------------------------------------------------------------------------------------

    def _token(self, account: Account, session: requests.Session, *, renew: bool = False) -> str:
        credentials = account.credentials
        if credentials.get("apiToken") and not renew:
            return credentials["apiToken"]
        auth_url = account.options.auth_url or AUTH_URL
        key = (auth_url, credentials["username"])
        cached = _tokens.get(key)
        if cached and not renew and cached[1] > time.monotonic():
            return cached[0]
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            auth_url,
            classify=_classify_error,
            json={"username": credentials["username"], "password": credentials["password"]},
            headers={"Accept": "application/json"},
        )
        try:
            token = str(response.json()["token"])
        except (ValueError, KeyError, TypeError) as exc:
            raise base.SendError(
                f"intelepeer authenticate answered no token: {response.text[:200]}", retryable=True
            ) from exc
        _tokens[key] = (token, time.monotonic() + TOKEN_LIFETIME)
        return token

    def _authorized(
        self, account: Account, session: requests.Session, method: str, path: str, body: dict[str, Any]
    ) -> requests.Response:
        """One API call with a bearer token; a 401 (expired token) renews the token once and retries."""
        url = f"{self.api_base(account)}{path}"
        token = self._token(account, session)
        try:
            return base.post_to_provider(
                session, self.name, method, url, classify=_classify_error, json=body, headers=_bearer(token)
            )
        except base.SendError as exc:
            if exc.code != UNAUTHORIZED:
                raise
        token = self._token(account, session, renew=True)
        return base.post_to_provider(
            session, self.name, method, url, classify=_classify_error, json=body, headers=_bearer(token)
        )

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        body: dict[str, Any] = {"from": sms.from_, "to": sms.to, "text": sms.body}
        if sms.client_reference:
            body["guid"] = sms.client_reference  # kept on the message detail record
        response = self._authorized(account, session, "POST", "/_rest/v4/app/sms/send", body)
        try:
            data = response.json()
            refid = str(data["refid"]) if isinstance(data, dict) and data.get("refid") else ""
        except ValueError as exc:
            raise base.SendError(
                f"intelepeer answered an unreadable body: {response.text[:200]}", retryable=True
            ) from exc
        if not refid:
            raise base.SendError(f"intelepeer answered no refid: {response.text[:200]}", retryable=True)
        return base.SendResult(provider_message_id=refid, status=MessageStatus.QUEUED, raw=data)

    def fetch_status(self, account: Account, provider_message_id: str, session: requests.Session) -> StatusUpdate:
        """The delivery status IntelePeer holds for a sent message (its message detail record)."""
        response = self._authorized(account, session, "POST", "/_rest/v4/app/sms/mdr", {"refid": provider_message_id})
        try:
            record = response.json()
        except ValueError as exc:
            raise base.SendError(
                f"intelepeer answered an unreadable MDR: {response.text[:200]}", retryable=True
            ) from exc
        return status_from_mdr(provider_message_id, record)

    # --- IntelePeer's side --------------------------------------------------------------------------------------

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        document = {
            "refid": message_id.upper()[:32],
            "from": from_,
            "to": account.phone_number,
            "message": body,
            "signature": account.credentials["webhookSecret"],
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="",
            headers={"Content-Type": "application/json"},
            body=json.dumps(document, ensure_ascii=False).encode(),
        )

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        sms = base.OutboundSms(
            to=str(data.get("to") or ""),
            from_=str(data.get("from") or ""),
            body=str(data.get("text") or ""),
            client_reference=data.get("guid"),
        )
        if not (request.header("authorization") or "").startswith("Bearer "):
            return 401, {"detail": "unauthorized"}, sms
        if not sms.to or not sms.from_ or not sms.body:
            return 400, {"code": 400, "error": "from, to and text are required"}, sms
        refid = message_id.upper()[:32]
        return (
            202,
            {"refid": refid, "from": sms.from_, "to": sms.to, "text": sms.body, "guid": sms.client_reference},
            sms,
        )

    def sandbox_status_query(self, request: base.WebhookRequest) -> str | None:
        if request.method != "POST" or not request.urls[0].split("?")[0].endswith("/sms/mdr"):
            return None
        data = request.json()
        return str(data.get("refid") or "") if isinstance(data, dict) else ""

    def sandbox_status_answer(self, provider_message_id: str, status: StatusUpdate | None) -> dict[str, Any]:
        word = next(name for name, mapped in MDR_STATUSES.items() if mapped == (status.status if status else "sent"))
        return {"code": 200, "refid": provider_message_id, "RCC_en": word, "RCC": 210000}

    def sandbox_credentials(self) -> dict[str, str]:
        # With `apiToken` the sender skips the authenticate call, as it does for a long-lived portal token.
        return {**super().sandbox_credentials(), "apiToken": "sandbox-apiToken-0123456789"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
