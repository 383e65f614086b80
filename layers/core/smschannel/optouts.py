"""Opt-outs: the numbers that asked an account to stop (STOP) until they ask again (START), and the keywords.

On by default for every account; `options.optOut` may change it: `{"enabled": bool, "stopKeywords": [...],
"startKeywords": [...], "helpKeywords": [...], "stopText": str, "startText": str, "helpText": str}` (texts may
use `{{accountName}}`, see `smschannel.templates`; the deprecated `{accountName}` of older texts still renders).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from smschannel.models import (
    OPT_OUT_HELP_KEYWORDS,
    OPT_OUT_HELP_TEXT,
    OPT_OUT_START_KEYWORDS,
    OPT_OUT_START_TEXT,
    OPT_OUT_STOP_KEYWORDS,
    OPT_OUT_STOP_TEXT,
    Account,
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


def source_of(keyword: str) -> str:
    return f"keyword:{keyword.strip().upper()}"
