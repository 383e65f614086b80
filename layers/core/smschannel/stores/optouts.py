"""Opt-outs in the table: one item per number that asked an account to stop (`keys.optout`), and the transaction
item that refuses a reply to such a number. What counts as STOP/START/HELP: smschannel.optouts."""

from __future__ import annotations

import builtins
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, to_item
from smschannel.models import OptOut


class OptOutStore:
    """One item per opted-out number of an account (`keys.optout`); absent means the number may be messaged."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def opt_out(self, account_id: str, phone: str, source: str) -> bool:
        """True when the number was not opted out before (a repeated STOP keeps the first record)."""
        entry = OptOut(id=phone, account_id=account_id, phone=phone, source=source)
        try:
            self.table.client.put_item(
                TableName=self.table.name,
                Item=to_item({**keys.optout(account_id, phone), "entity": "optOut", **entry.to_json_dict()}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def opt_in(self, account_id: str, phone: str, source: str) -> bool:
        """True when the number was opted out (and now is not)."""
        del source  # kept in the signature for the audit trail callers log; the item itself goes
        return self.table.delete(keys.optout(account_id, phone))

    def is_opted_out(self, account_id: str, phone: str) -> bool:
        return self.table.get(keys.optout(account_id, phone)) is not None

    def get(self, account_id: str, phone: str) -> OptOut | None:
        item = self.table.get(keys.optout(account_id, phone))
        return OptOut.model_validate(item) if item else None

    def list(self, account_id: str) -> builtins.list[OptOut]:
        items = self.table.query_all(None, "pk", keys.optout_partition(account_id), ConsistentRead=True)
        return [OptOut.model_validate(item) for item in items]


def optout_check_item(table: Table, account_id: str, phone: str) -> dict[str, Any]:
    """The transaction item that refuses a reply to an opted-out number, atomically with storing it."""
    return {
        "ConditionCheck": {
            "TableName": table.name,
            "Key": to_item(keys.optout(account_id, phone)),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }
