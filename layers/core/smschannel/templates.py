"""The one placeholder syntax of every text the channel writes for an account: `{{name}}`.

Auto-replies know `{{phone}}`, `{{contactName}}`, `{{accountName}}`, `{{queuePosition}}`, `{{waitMinutes}}`;
opt-out confirmations (`options.optOut.stopText`, ...) know `{{accountName}}`. Unknown placeholders are refused
when the text is saved; a value that cannot be known at send time renders as an empty string (a contact without a
name), never as the raw placeholder.

Deprecated: opt-out texts written before the syntax was one used `{accountName}` (single braces). Those are still
rendered (`single_brace=True`, for names the text may use only); new texts should use `{{accountName}}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

PLACEHOLDERS = ("phone", "contactName", "accountName", "queuePosition", "waitMinutes")
OPT_OUT_PLACEHOLDERS = ("accountName",)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}")
# `{{name}}` or, for old opt-out texts, a lone `{name}` (not part of `{{...}}`); one pass, so a value that happens
# to contain braces is never rendered again.
_WITH_SINGLE_BRACE = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}|(?<!\{)\{([A-Za-z]+)\}(?!\})")


def placeholders_of(text: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


def unknown_placeholders(text: str, known: Collection[str] = PLACEHOLDERS) -> list[str]:
    return [name for name in placeholders_of(text) if name not in known]


def render(text: str, values: Mapping[str, Callable[[], object]], single_brace: bool = False) -> str:
    """Each value is computed only when the text uses it (queuePosition costs reads). With `single_brace`, a
    deprecated `{name}` is rendered too when `values` knows the name (any other `{...}` stays as written)."""
    cache: dict[str, str] = {}

    def value_of(name: str) -> str:
        if name not in cache:
            getter = values.get(name)
            value = getter() if getter else None
            cache[name] = "" if value is None else str(value)
        return cache[name]

    def substitute(match: re.Match[str]) -> str:
        double, single = match.group(1), match.group(2) if single_brace else None
        if double is not None:
            return value_of(double)
        if single is not None and single in values:
            return value_of(single)
        return match.group(0)

    return (_WITH_SINGLE_BRACE if single_brace else _PLACEHOLDER).sub(substitute, text)
