"""Opt-outs: the numbers that asked an account to stop (STOP) until they ask again (START), and the keywords.

On by default for every account; `options.optOut` may change it: `{"enabled": bool, "stopKeywords": [...],
"startKeywords": [...], "helpKeywords": [...], "stopText": str, "startText": str, "helpText": str}` (texts may
use `{accountName}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from smschannel.models import Account

STOP_KEYWORDS = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")
START_KEYWORDS = ("START", "UNSTOP", "YES")
HELP_KEYWORDS = ("HELP",)

STOP_TEXT = "You are unsubscribed from {accountName} and will receive no more messages. Reply START to resubscribe."
START_TEXT = "You are subscribed again to messages from {accountName}. Reply STOP to unsubscribe."
HELP_TEXT = "{accountName}: reply STOP to unsubscribe, START to subscribe again."


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
        options: dict[str, Any] = dict(account.options.get("optOut") or {})

        def words(name: str, default: tuple[str, ...]) -> frozenset[str]:
            return frozenset(str(word).strip().upper() for word in options.get(name) or default)

        def text(name: str, default: str) -> str:
            return str(options.get(name) or default).replace("{accountName}", account.name)

        return cls(
            enabled=bool(options.get("enabled", True)),
            stop=words("stopKeywords", STOP_KEYWORDS),
            start=words("startKeywords", START_KEYWORDS),
            help=words("helpKeywords", HELP_KEYWORDS),
            texts={
                Keyword.STOP: text("stopText", STOP_TEXT),
                Keyword.START: text("startText", START_TEXT),
                Keyword.HELP: text("helpText", HELP_TEXT),
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


def source_of(keyword: str) -> str:
    return f"keyword:{keyword.strip().upper()}"
