"""The reads of a contact's history and of the conversation search: the phone index gsi2 (one contact's
interactions, newest first) and the search index gsi5 (one account's month, in SEARCH_SHARDS partitions, newest
first), then the items themselves. Never a Scan: docs/api.md "Search" states what each read costs."""

from __future__ import annotations

from typing import Any

from smschannel import keys
from smschannel.dynamo import Table
from smschannel.models import Contact, Interaction


class SearchStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def history(self, account_id: str, phone: str, limit: int) -> list[Interaction]:
        """The phone's interactions on the account, newest first, at most `limit`."""
        found = self.table.query_all(
            keys.GSI2, "gsi2pk", keys.phone_partition(account_id, phone), limit=limit, ScanIndexForward=False
        )
        return self.interactions([str(item["pk"]) for item in found])

    def interactions(self, partitions: list[str]) -> list[Interaction]:
        """The interactions of these `INTERACTION#...` keys, in the order given (missing ones left out)."""
        wanted = [{"pk": pk, "sk": "INTERACTION"} for pk in partitions]
        by_pk = {str(item["pk"]): item for item in self.table.batch_get(wanted)}
        return [Interaction.model_validate(by_pk[pk]) for pk in partitions if pk in by_pk]

    def month_page(self, account_id: str, month: str, low: str, high: str, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` (search sort key, interaction pk) of the account's month with `low <= sort < high`, newest
        first: each shard's newest `limit`, merged."""
        entries: list[tuple[str, str]] = []
        for shard in range(keys.SEARCH_SHARDS):
            found = self.table.query_all(
                keys.GSI5,
                keys.SEARCH_PARTITION,
                keys.search_partition(account_id, month, shard),
                limit=limit,
                sk_condition=" AND #s BETWEEN :low AND :high",
                names={"#s": keys.SEARCH_SORT},
                values={":low": low, ":high": high},
                ScanIndexForward=False,
            )
            entries += [
                (str(item[keys.SEARCH_SORT]), str(item["pk"])) for item in found if item[keys.SEARCH_SORT] < high
            ]
        return sorted(entries, reverse=True)[:limit]

    def contacts(self, contact_ids: list[str]) -> dict[str, Contact]:
        items = self.table.batch_get([keys.contact(contact_id) for contact_id in dict.fromkeys(contact_ids)])
        return {str(item["id"]): Contact.model_validate(item) for item in items}

    def message_bodies(self, interaction_id: str) -> list[dict[str, Any]]:
        """`{id, direction, body}` of every message of the interaction (notes included), oldest first."""
        return self.table.query_all(
            None,
            "pk",
            keys.interaction(interaction_id)["pk"],
            sk_condition=" AND begins_with(sk, :p)",
            names={"#b": "body", "#d": "direction"},
            values={":p": keys.MESSAGE_PREFIX},
            ProjectionExpression="id, #d, #b",
        )
