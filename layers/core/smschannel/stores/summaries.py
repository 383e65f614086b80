"""An interaction's AI summary (docs/ai.md), written on the interaction item by one conditional UpdateItem.

Summaries are written after the fact by the assist function, so every write is conditioned on what it may replace:
- never on an interaction that is gone (`attribute_exists(pk)`: a late summary does not resurrect a deleted item
  as a husk holding only a summary);
- a `ready` summary replaces none, an `unavailable` marker, or a summary covering no more messages than it does
  (`messages`): the close's summary replaces the transfer's, a transfer's summary arriving late never replaces
  the close's, and a regenerated one replaces the one it regenerates;
- an `unavailable` marker replaces only none or another marker: a model that fails never erases a summary that
  was written (an earlier transfer's stays, labelled with its `source`, until a newer one replaces it).
"""

from __future__ import annotations

from smschannel import keys
from smschannel.dynamo import Table
from smschannel.models import Summary


class SummaryStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def put(self, interaction_id: str, summary: Summary) -> bool:
        """True when written; False when the interaction is gone or holds a summary this one must not replace."""
        values: dict[str, object] = {":s": summary.to_json_dict(), ":unavailable": "unavailable"}
        names = {"#sum": "summary", "#st": "status"}
        replaceable = "#sum.#st = :unavailable"
        if summary.status == "ready":
            replaceable += " OR #sum.#n <= :n"
            values[":n"] = summary.messages
            names["#n"] = "messages"
        return self.table.update_if(
            keys.interaction(interaction_id),
            "SET #sum = :s",
            f"attribute_exists(pk) AND (attribute_not_exists(#sum) OR {replaceable})",
            values,
            names,
        )
