"""Opt-outs: the numbers that asked an account to stop (STOP) until they ask again (START), and the keywords.

On by default for every account; `options.optOut` may change it: `{"enabled": bool, "stopKeywords": [...],
"startKeywords": [...], "helpKeywords": [...], "stopText": str, "startText": str, "helpText": str}` (texts may
use `{{accountName}}`, see `smschannel.templates`; the deprecated `{accountName}` of older texts still renders).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from smschannel import keys
from smschannel.dynamo import Table, error_code, to_item
from smschannel.models import (
    OPT_OUT_HELP_KEYWORDS,
    OPT_OUT_HELP_TEXT,
    OPT_OUT_START_KEYWORDS,
    OPT_OUT_START_TEXT,
    OPT_OUT_STOP_KEYWORDS,
    OPT_OUT_STOP_TEXT,
    Account,
    OptOut,
)
from smschannel.templates import render

# The defaults live with the options model (models.OptOutOptions).
STOP_KEYWORDS = OPT_OUT_STOP_KEYWORDS
START_KEYWORDS = OPT_OUT_START_KEYWORDS
HELP_KEYWORDS = OPT_OUT_HELP_KEYWORDS
STOP_TEXT, START_TEXT, HELP_TEXT = OPT_OUT_STOP_TEXT, OPT_OUT_START_TEXT, OPT_OUT_HELP_TEXT


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


@dataclass(frozen=True)
class OptOutPolicy:
    enabled: bool
    stop: frozenset[str]
    start: frozenset[str]
    help: frozenset[str]
    texts: dict[Keyword, str]

    @classmethod
    def of(cls, account: Account) -> OptOutPolicy:
        options = account.options.opt_out

        def words(listed: list[str]) -> frozenset[str]:
            return frozenset(str(word).strip().upper() for word in listed)

        def text(template: str) -> str:
            return render(template, {"accountName": lambda: account.name}, single_brace=True)

        return cls(
            enabled=options.enabled,
            stop=words(options.stop_keywords),
            start=words(options.start_keywords),
            help=words(options.help_keywords),
            texts={
                Keyword.STOP: text(options.stop_text),
                Keyword.START: text(options.start_text),
                Keyword.HELP: text(options.help_text),
            },
        )

    def keyword(self, body: str) -> Keyword | None:
        """The keyword a whole message is (case and surrounding spaces ignored), if any."""
        if not self.enabled:
            return None
        word = body.strip().upper()
        for keyword, words in ((Keyword.STOP, self.stop), (Keyword.START, self.start), (Keyword.HELP, self.help)):
            if word in words:
                return keyword
        return None


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
        items = self.table.query(None, "pk", keys.optout_partition(account_id), ConsistentRead=True)
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


def source_of(keyword: str) -> str:
    return f"keyword:{keyword.strip().upper()}"
