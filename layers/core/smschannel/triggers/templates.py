"""Auto-reply text: `{{phone}}`, `{{contactName}}`, `{{accountName}}`, `{{queuePosition}}`, `{{waitMinutes}}`.

Unknown placeholders are refused when the trigger is saved; a value that cannot be known at send time renders as
an empty string (a contact without a name), never as the raw placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PLACEHOLDERS = ("phone", "contactName", "accountName", "queuePosition", "waitMinutes")
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z]+)\s*\}\}")


def placeholders_of(text: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


def unknown_placeholders(text: str) -> list[str]:
    return [name for name in placeholders_of(text) if name not in PLACEHOLDERS]


def render(text: str, values: Mapping[str, Callable[[], object]]) -> str:
    """Each value is computed only when the text uses it (queuePosition costs reads)."""
    cache: dict[str, str] = {}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in cache:
            getter = values.get(name)
            value = getter() if getter else None
            cache[name] = "" if value is None else str(value)
        return cache[name]

    return _PLACEHOLDER.sub(substitute, text)
