"""Private notes: stored as messages of the interaction (`direction: "note"`), so they list in the transcript in
order; the stream filters of outbound (direction `out`, status `queued`) and triggers (direction `in`) never match
them, which is what keeps a note from ever reaching a provider."""

from __future__ import annotations

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, to_item
from smschannel.models import Message


class NoteStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def add(self, note: Message) -> tuple[Message, bool]:
        """Store the note once: (the stored note, True) or, for a retried note id, (the one stored before, False)."""
        key = keys.message(note.interaction_id, note.created_at, note.id)
        # Its own namespace beside the replies' pointers: a note never answers for a reply's client id.
        pointer = (
            keys.client_message(note.interaction_id, f"note:{note.client_message_id}")
            if note.client_message_id
            else None
        )
        if pointer is not None:
            existing = self.table.get(pointer)
            if existing is not None:
                stored = self.table.get({"pk": key["pk"], "sk": str(existing["messageSk"])})
                if stored is not None:
                    return Message.model_validate(stored), False
        items = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": to_item({**key, "entity": "message", **note.to_json_dict()}),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        if pointer is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table.name,
                        "Item": to_item({**pointer, "entity": "clientMessage", "messageSk": key["sk"]}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self.table.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException" or pointer is None:
                raise
            existing = self.table.get(pointer)  # a concurrent retry stored it first
            stored = self.table.get({"pk": key["pk"], "sk": str(existing["messageSk"])}) if existing else None
            if stored is None:
                raise
            return Message.model_validate(stored), False
        return note, True
