"""A contact's history (`GET /admin/interactions?contactId=`) and the conversation search (`GET /admin/search`).

The search walks the search index (gsi5: one account's month in SEARCH_SHARDS partitions, sorted by createdAt)
newest first inside [from, to] and keeps the interactions whose phone, contact name or message text (notes
included) contains `q`. A page examines at most EXAMINE_PER_PAGE interactions and returns at most `limit` matches,
with a `nextToken` while the range is not exhausted: the read cost of a page is bounded whatever `q` is
(docs/api.md "Search" gives the figures).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from smschannel import keys
from smschannel.errors import InvalidConfiguration, NotFound
from smschannel.models import Interaction
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.search import SearchStore
from smschannel.timestamps import parse_iso, to_iso

HISTORY_LIMIT = 100
EXAMINE_PER_PAGE = 100
DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
Q_MAX = 100
SNIPPET_CHARS = 160
_PHONE_LIKE = re.compile(r"^[+\d\s().-]+$")


@dataclass(frozen=True)
class SearchQuery:
    """`GET /admin/search`'s parameters: `since`/`until` are its `from`/`to`, `token` its `nextToken`."""

    account_id: str
    q: str = ""
    since: str | None = None
    until: str | None = None
    limit: int = 20
    token: str | None = None


@dataclass
class SearchPage:
    items: list[dict[str, Any]]
    next_token: str | None
    examined: int

    def to_json_dict(self) -> dict[str, Any]:
        return {"items": self.items, "nextToken": self.next_token, "examined": self.examined}


class ConversationSearch:
    def __init__(self, store: SearchStore, configuration: ConfigurationStore, contacts: ContactStore) -> None:
        self.store = store
        self.configuration = configuration
        self.contacts = contacts

    def history(self, contact_id: str) -> list[Interaction]:
        """The contact's interactions on its account, newest first (at most HISTORY_LIMIT)."""
        contact = self.contacts.get_contact(contact_id)
        if contact is None:
            raise NotFound(f"contact {contact_id!r} not found", field="contactId")
        return self.store.history(contact.account_id, contact.phone, HISTORY_LIMIT)

    def search(self, query: SearchQuery) -> SearchPage:
        account_id, limit = query.account_id, query.limit
        if self.configuration.get_account(account_id) is None:
            raise NotFound(f"account {account_id!r} not found", field="accountId")
        needle = query.q.strip()
        if len(needle) > Q_MAX:
            raise InvalidConfiguration(f"q is at most {Q_MAX} characters", field="q")
        if not 1 <= limit <= 100:
            raise InvalidConfiguration("limit is 1 to 100", field="limit")
        end = _moment(query.until, "to") if query.until else datetime.now(UTC)
        start = _moment(query.since, "from") if query.since else end - timedelta(days=DEFAULT_RANGE_DAYS)
        if start > end:
            raise InvalidConfiguration("from is after to", field="from")
        if end - start > timedelta(days=MAX_RANGE_DAYS):
            raise InvalidConfiguration(f"the range is at most {MAX_RANGE_DAYS} days", field="from")
        low, high = to_iso(start), to_iso(end) + "#\uffff"  # `to` is inclusive: every id of its millisecond
        month, before = _read_token(query.token, high) if query.token else (high[:7], high)
        matcher = _Matcher(needle, self.store)
        items: list[dict[str, Any]] = []
        examined = 0
        while examined < EXAMINE_PER_PAGE and len(items) < limit and month >= low[:7]:
            entries = self.store.month_page(account_id, month, low, before, EXAMINE_PER_PAGE - examined)
            if not entries:
                month, before = _previous_month(month), high
                continue
            interactions = {each.id: each for each in self.store.interactions([pk for _, pk in entries])}
            names = self._contact_names(list(interactions.values()))
            for sort, pk in entries:
                examined += 1
                before = sort
                interaction = interactions.get(keys.parse_interaction_pk(pk))
                found = matcher.match(interaction, names) if interaction else None
                if found is not None:
                    items.append(found)
                    if len(items) == limit:
                        break
        exhausted = month < low[:7]
        return SearchPage(items, None if exhausted else _write_token(month, before), examined)

    def _contact_names(self, interactions: list[Interaction]) -> dict[str, str | None]:
        """The name of each interaction's contact: its own when it carries one, else one batch read of contacts."""
        wanted = [each.contact_id for each in interactions if each.contact_id and each.contact_name is None]
        contacts = self.store.contacts(wanted) if wanted else {}
        return {
            each.id: each.contact_name or (contacts[each.contact_id].name if each.contact_id in contacts else None)
            for each in interactions
        }


class _Matcher:
    """Cheapest test first: the phone (in the interaction), the contact's name (read per page), then the text (one
    Query of the interaction's messages)."""

    def __init__(self, needle: str, store: SearchStore) -> None:
        self.needle = needle.casefold()
        digits = re.sub(r"\D", "", needle)
        self.digits = digits if _PHONE_LIKE.match(needle) and len(digits) >= 3 else ""
        self.store = store

    def match(self, interaction: Interaction, names: dict[str, str | None]) -> dict[str, Any] | None:
        shown = interaction.to_json_dict()
        name = names.get(interaction.id)
        shown["contactName"] = name
        if not self.needle:
            return {**shown, "match": None}
        if self.digits and self.digits in re.sub(r"\D", "", interaction.phone):
            return {**shown, "match": {"field": "phone"}}
        if name and self.needle in name.casefold():
            return {**shown, "match": {"field": "contactName"}}
        for message in self.store.message_bodies(interaction.id):
            body = str(message.get("body") or "")
            at = body.casefold().find(self.needle)
            if at >= 0:
                begin = max(0, at - SNIPPET_CHARS // 2)
                return {
                    **shown,
                    "match": {
                        "field": "message",
                        "messageId": message.get("id"),
                        "direction": message.get("direction"),
                        "snippet": body[begin : begin + SNIPPET_CHARS],
                    },
                }
        return None


def _moment(value: str, field: str) -> datetime:
    """`from`/`to` as a moment; a bare date is its day's start (`from`) or end (`to`)."""
    day_time = "T00:00:00Z" if field == "from" else "T23:59:59.999Z"
    try:
        moment = parse_iso(value if "T" in value else value + day_time)
    except ValueError as exc:
        raise InvalidConfiguration(f"{field} is an ISO 8601 date or time", field=field) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def _write_token(month: str, before: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"m": month, "b": before}).encode()).decode()


def _read_token(token: str, high: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        month, before = str(data["m"]), str(data["b"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidConfiguration("nextToken is not one this search gave", field="nextToken") from exc
    if not re.fullmatch(r"\d{4}-\d{2}", month) or before > high:
        raise InvalidConfiguration("nextToken is not one this search gave", field="nextToken")
    return month, before
