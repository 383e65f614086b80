"""The reply use case, shared by the admin API, the agents' WebSocket `sendMessage` and the triggers' autoReply:
validate, store `queued` once per clientMessageId, answer at once; the send happens on the queue."""

from __future__ import annotations

from urllib.parse import urlsplit

from smschannel import keys
from smschannel.account_cache import AccountCache
from smschannel.dynamo import Table
from smschannel.errors import InvalidMessage, NotFound
from smschannel.models import Account, Direction, Interaction, Message, MessageStatus, utc_now
from smschannel.providers import get_adapter
from smschannel.segments import SegmentInfo, measure
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.outbound import OutboundStore

DEFAULT_MAX_BODY_LENGTH = 1600
MAX_CLIENT_MESSAGE_ID = 128
SENDERS = ("agent:", "trigger:")
PLAIN_SENDERS = ("admin", "bot", "system")


class OutboundService:
    def __init__(self, table: Table, accounts: AccountCache, max_body_length: int = DEFAULT_MAX_BODY_LENGTH) -> None:
        self.interactions = InteractionStore(table)
        self.store = OutboundStore(table)
        self.accounts = accounts
        self.max_body_length = max_body_length

    def reply(
        self,
        interaction_id: str,
        body: str,
        client_message_id: str,
        *,
        media: list[str] | None = None,
        sender: str,
    ) -> Message:
        """Store a reply `queued` and return it; a retry with the same `client_message_id` returns the first.

        Raises NotFound (404), InteractionClosed (409), OptedOut (422), InvalidMessage naming the field (422).
        """
        return self._reply(interaction_id, body, client_message_id, media or [], sender, check_opt_out=True)

    def compliance_reply(self, interaction_id: str, body: str, client_message_id: str) -> Message:
        """The confirmation of a STOP (or START/HELP): sent even to a number that has just opted out."""
        return self._reply(interaction_id, body, client_message_id, [], "system", check_opt_out=False)

    @staticmethod
    def preview(body: str) -> SegmentInfo:
        """Encoding and segments of a body, without side effects (the agent desktop shows it while typing)."""
        return measure(body)

    def _reply(
        self,
        interaction_id: str,
        body: str,
        client_message_id: str,
        media: list[str],
        sender: str,
        *,
        check_opt_out: bool,
    ) -> Message:
        _check_sender(sender)
        if not client_message_id or len(client_message_id) > MAX_CLIENT_MESSAGE_ID:
            raise InvalidMessage(
                f"clientMessageId must be 1 to {MAX_CLIENT_MESSAGE_ID} characters", field="clientMessageId"
            )
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None:
            raise NotFound(f"interaction {interaction_id!r} not found")
        account = self.accounts.get(interaction.account_id)
        self._check_content(account, body, media)
        info = measure(body)
        created_at = utc_now()
        message = Message(
            id=keys.outbound_message_id(interaction_id, client_message_id),
            interaction_id=interaction_id,
            account_id=account.id,
            direction=Direction.OUT,
            body=body,
            media=media,
            status=MessageStatus.QUEUED,
            **{"from": _our_number(interaction, account)},
            to=interaction.phone,
            created_at=created_at,
            client_message_id=client_message_id,
            encoding=info.encoding,
            segments=info.segments,
            sender=sender,
        )
        stored, _ = self.store.add_reply(message, interaction.phone, check_opt_out=check_opt_out)
        return stored

    def _check_content(self, account: Account, body: str, media: list[str]) -> None:
        limit = account.options.max_body_length or self.max_body_length
        if not body.strip() and not media:
            raise InvalidMessage("body is empty", field="body")
        if len(body) > limit:
            raise InvalidMessage(f"body is {len(body)} characters; at most {limit}", field="body")
        for index, url in enumerate(media):
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc:
                raise InvalidMessage(f"media[{index}] must be an https URL", field=f"media[{index}]")
        if media and not get_adapter(account.provider).supports_mms:
            raise InvalidMessage(f"provider {account.provider} cannot send MMS", field="media")


def _our_number(interaction: Interaction, account: Account) -> str:
    """The number the customer wrote to (the account's, unless the interaction recorded another)."""
    return interaction.to or account.phone_number


def _check_sender(sender: str) -> None:
    if sender in PLAIN_SENDERS or (sender.startswith(SENDERS) and sender.partition(":")[2]):
        return
    raise InvalidMessage(
        'sender must be "agent:<agentId>", "trigger:<triggerId>", "admin", "bot" or "system"', field="sender"
    )
