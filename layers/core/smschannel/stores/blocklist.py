"""An account's block list in the table: one item per blocked number (`keys.blocked`), one partition per account."""

from __future__ import annotations

import builtins

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, to_item
from smschannel.models import BlockedNumber


class BlockListStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def block(self, entry: BlockedNumber) -> bool:
        """True when the number was not blocked before (blocking again keeps the first record)."""
        try:
            self.table.client.put_item(
                TableName=self.table.name,
                Item=to_item(
                    {**keys.blocked(entry.account_id, entry.phone), "entity": "blocked", **entry.to_json_dict()}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def unblock(self, account_id: str, phone: str) -> bool:
        return self.table.delete(keys.blocked(account_id, phone))

    def get(self, account_id: str, phone: str) -> BlockedNumber | None:
        item = self.table.get(keys.blocked(account_id, phone))
        return BlockedNumber.model_validate(item) if item else None

    def list(self, account_id: str) -> builtins.list[BlockedNumber]:
        items = self.table.query_all(None, "pk", keys.blocked_partition(account_id), ConsistentRead=True)
        return [BlockedNumber.model_validate(item) for item in items]

    def is_blocked(self, account_id: str, phone: str) -> bool:
        """One strongly consistent read (one read unit, $0.125 per million): asked once per new conversation and
        per customer message, so a block applies from the next message on, with no cache to outlive it."""
        return self.table.get(keys.blocked(account_id, phone)) is not None
