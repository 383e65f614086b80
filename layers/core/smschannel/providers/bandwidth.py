"""Bandwidth Messaging API v2: every event of an application (inbound and delivery) is posted to ONE callback URL
as a JSON array, authenticated by the HTTP basic auth credentials set on the Bandwidth application.

The inbound route reads `message-received` events as messages and `message-sending` / `message-delivered` /
`message-failed` events as status updates (`parse_inbound_statuses`); the status route reads the same array, for
an application whose callback URL points there. Sends go to `POST /users/{accountId}/messages` with basic auth.
"""

from __future__ import annotations

import json
import mimetypes
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from smschannel.errors import UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

INBOUND_EVENT = "message-received"
STATUS_EVENTS: dict[str, MessageStatus] = {
    "message-sending": MessageStatus.SENT,  # MMS only: handed towards the carrier
    # For SMS Bandwidth confirms delivery to the downstream carrier (handset receipts only where the carrier
    # gives them): the final success event either way.
    "message-delivered": MessageStatus.DELIVERED,
    "message-failed": MessageStatus.FAILED,
}


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """Bandwidth errors are `{"type": "request-validation", "description": ..., "fieldErrors": [...]}`."""
    if isinstance(detail, dict) and detail.get("type"):
        return status == 429 or status >= 500, str(detail["type"])
    return None


def _content_type(url: str) -> str | None:
    """Bandwidth names each media file but sends no content type: inferred from the file name's extension."""
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    return guessed


def _events(request: base.WebhookRequest) -> list[dict[str, Any]]:
    document = request.json()
    if isinstance(document, dict):  # tolerate a single event outside the documented array
        document = [document]
    if not isinstance(document, list) or not all(isinstance(event, dict) for event in document):
        raise UnparsableWebhook("Bandwidth callback must be a JSON array of events")
    for event in document:
        if not isinstance(event.get("message"), dict) or not event["message"].get("id"):
            raise UnparsableWebhook(f"Bandwidth {event.get('type')!r} event needs message.id")
    return document


class BandwidthAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "bandwidth"
    required_credentials: ClassVar[tuple[str, ...]] = (
        "accountId",
        "applicationId",
        "username",
        "password",
        "callbackUsername",
        "callbackPassword",
    )
    supports_mms: ClassVar[bool] = True
    default_api_base_url: ClassVar[str] = "https://messaging.bandwidth.com/api/v2"
    signs_body: ClassVar[bool] = False
    status_url_per_message: ClassVar[bool] = False

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        base.verify_webhook_secret(
            request, account.credentials["callbackPassword"], username=account.credentials["callbackUsername"]
        )

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        messages = []
        for event in _events(request):
            if event.get("type") != INBOUND_EVENT:
                continue
            message = event["message"]
            # For a group message each of our numbers gets its own event: `to` (and `owner`) is ours.
            to = event.get("to") or message.get("owner")
            if not message.get("from") or not to:
                raise UnparsableWebhook("Bandwidth message-received needs message.from and to")
            media = [Media(url=str(url), content_type=_content_type(str(url))) for url in message.get("media") or []]
            messages.append(
                InboundMessage(
                    provider=self.name,
                    provider_message_id=str(message["id"]),
                    **{"from": str(message["from"])},
                    to=str(to),
                    body=str(message.get("text") or ""),
                    media=media,
                )
            )
        return messages

    def parse_inbound_statuses(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        return self._statuses(_events(request))

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        events = _events(request)
        unknown = [event.get("type") for event in events if event.get("type") not in {INBOUND_EVENT, *STATUS_EVENTS}]
        if unknown:
            raise UnparsableWebhook(f"unknown Bandwidth event type {unknown[0]!r}")
        return self._statuses(events)

    def _statuses(self, events: list[dict[str, Any]]) -> list[StatusUpdate]:
        updates = []
        for event in events:
            kind = str(event.get("type") or "")
            if kind not in STATUS_EVENTS:
                continue  # message-received, and event types added later, are not status updates
            error_code = event.get("errorCode")
            updates.append(
                StatusUpdate(
                    provider=self.name,
                    provider_message_id=str(event["message"]["id"]),
                    status=STATUS_EVENTS[kind],
                    provider_status=kind,
                    error_code=str(error_code) if error_code not in (None, "", 0) else None,
                )
            )
        return updates

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        credentials = account.credentials
        payload: dict[str, Any] = {
            "applicationId": credentials["applicationId"],
            "to": [sms.to],
            "from": sms.from_,
            "text": sms.body,
        }
        if sms.media:
            payload["media"] = list(sms.media)
        if sms.client_reference:
            payload["tag"] = sms.client_reference  # comes back in every event of the message
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/users/{credentials['accountId']}/messages",
            classify=_classify_error,
            json=payload,
            auth=(credentials["username"], credentials["password"]),
        )
        data, message_id = base.read_answer(response, self.name, lambda data: str(data["id"]))
        return base.SendResult(provider_message_id=message_id, status=MessageStatus.QUEUED, raw=data)

    # --- Bandwidth's side -------------------------------------------------------------------------------------

    @staticmethod
    def _authenticated(account: Account, events: list[dict[str, Any]]) -> base.SimulatedWebhook:
        credentials = account.credentials
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="",  # Bandwidth posts every event to the application's one callback URL
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": base.basic_auth_header(
                    credentials["callbackUsername"], credentials["callbackPassword"]
                ),
                "User-Agent": "BandwidthAPI/v2",
            },
            body=json.dumps(events, ensure_ascii=False).encode(),
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        now = utc_now()
        event = {
            "type": INBOUND_EVENT,
            "time": now,
            "description": "Incoming message received",
            "to": account.phone_number,
            "message": {
                "id": message_id,
                "time": now,
                "to": [account.phone_number],
                "from": from_,
                "text": body,
                "applicationId": account.credentials["applicationId"],
                "media": list(media),
                "owner": account.phone_number,
                "direction": "in",
                "segmentCount": 1,
            },
        }
        return self._authenticated(account, [event])

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        kind = {"delivered": "message-delivered", "failed": "message-failed", "undelivered": "message-failed"}.get(
            status.lower(), "message-sending"
        )
        now = utc_now()
        event: dict[str, Any] = {
            "type": kind,
            "time": now,
            "description": {"message-delivered": "ok", "message-failed": "forbidden to country"}.get(
                kind, "Message is sending to carrier"
            ),
            "to": "+14155550123",
            "message": {
                "id": provider_message_id,
                "time": now,
                "to": ["+14155550123"],
                "from": account.phone_number,
                "text": "",
                "applicationId": account.credentials["applicationId"],
                "owner": account.phone_number,
                "direction": "out",
                "segmentCount": 1,
            },
        }
        if kind == "message-failed":
            event["errorCode"] = 4432
        return self._authenticated(account, [event])

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        recipients = data.get("to") or [""]
        if isinstance(recipients, str):
            recipients = [recipients]
        sms = base.OutboundSms(
            to=str(recipients[0]),
            from_=str(data.get("from") or ""),
            body=str(data.get("text") or ""),
            media=[str(url) for url in data.get("media") or []],
            client_reference=data.get("tag"),
        )
        if not (request.header("authorization") or "").startswith("Basic "):
            return 401, {"type": "unauthorized", "description": "Authentication Failed"}, sms
        if not sms.to or not sms.from_ or not data.get("applicationId") or not (sms.body or sms.media):
            return 400, {"type": "request-validation", "description": "Your request could not be accepted"}, sms
        answer = {
            "id": message_id,
            "owner": sms.from_,
            "applicationId": data["applicationId"],
            "time": utc_now(),
            "segmentCount": 1,
            "direction": "out",
            "to": [str(number) for number in recipients],
            "from": sms.from_,
            "media": sms.media,
            "text": sms.body,
            "tag": sms.client_reference,
        }
        return 202, answer, sms
