"""The one template engine of every text the channel writes for an account: `{{name}}` with an optional fallback.

Syntax: `{{name}}`, `{{name|fallback}}`, or Chatwoot's `{{name || 'fallback'}}` (quotes optional, single or double).
A value that is missing or empty renders as the fallback, or as an empty string without one (never as the raw
placeholder). Names are plain (`phone`) or dotted (`contact.name`).

Which names a text may use depends on where it is used (each set below); an unknown name, or a `{{...}}` that is not
a placeholder at all, is refused when the text is saved (`check_template`, a 422 naming the field):
- trigger auto-replies (TRIGGER_PLACEHOLDERS): `{{phone}}`, `{{contactName}}`, `{{accountName}}`,
  `{{queuePosition}}`, `{{waitMinutes}}`, and the dotted `{{contact.name}}`, `{{contact.firstName}}`,
  `{{contact.phone}}`, `{{account.name}}`, `{{interaction.id}}`;
- canned replies (CANNED_PLACEHOLDERS): the dotted names and `{{agent.name}}` (the replying agent), plus the plain
  `{{phone}}`, `{{contactName}}`, `{{accountName}}`;
- opt-out confirmations (OPT_OUT_PLACEHOLDERS): `{{accountName}}`.

Deprecated: opt-out texts written before the syntax was one used `{accountName}` (single braces). Those are still
rendered (`single_brace=True`, for names the text may use only); new texts should use `{{accountName}}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

from smschannel.errors import InvalidConfiguration

CONTEXT_PLACEHOLDERS = ("contact.name", "contact.firstName", "contact.phone", "account.name", "interaction.id")
TRIGGER_PLACEHOLDERS = ("phone", "contactName", "accountName", "queuePosition", "waitMinutes", *CONTEXT_PLACEHOLDERS)
CANNED_PLACEHOLDERS = ("phone", "contactName", "accountName", *CONTEXT_PLACEHOLDERS, "agent.name")
PLACEHOLDERS = TRIGGER_PLACEHOLDERS  # the auto-replies' set, the name older callers use
OPT_OUT_PLACEHOLDERS = ("accountName",)

_NAME = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*"
# The fallback: a quoted string, or any text without braces (trimmed).
_FALLBACK = r"(?:\|\|?)\s*(?:'([^']*)'|\"([^\"]*)\"|([^{}'\"]*?))\s*"
_PLACEHOLDER = re.compile(r"\{\{\s*(" + _NAME + r")\s*(?:" + _FALLBACK + r")?\}\}")
# `{{...}}` left once every placeholder is taken out: a typo the customer would otherwise receive as written.
_MALFORMED = re.compile(r"\{\{[^{}]*\}\}")
# `{{name}}` or, for old opt-out texts, a lone `{name}` (not part of `{{...}}`); one pass, so a value that happens
# to contain braces is never rendered again.
_WITH_SINGLE_BRACE = re.compile(_PLACEHOLDER.pattern + r"|(?<!\{)\{([A-Za-z]+)\}(?!\})")

Values = Mapping[str, Callable[[], object]]


def placeholders_of(text: str) -> list[str]:
    return [match.group(1) for match in _PLACEHOLDER.finditer(text)]


def unknown_placeholders(text: str, known: Collection[str] = PLACEHOLDERS) -> list[str]:
    """The names `text` uses that are not in `known`, then any `{{...}}` that is no placeholder (as written)."""
    unknown = [name for name in placeholders_of(text) if name not in known]
    return unknown + _MALFORMED.findall(_PLACEHOLDER.sub("", text))


def check_template(text: str, known: Collection[str], field: str) -> None:
    """InvalidConfiguration (422) naming `field` when `text` uses a name outside `known` or a malformed `{{...}}`."""
    unknown = unknown_placeholders(text, known)
    if unknown:
        shown = unknown[0] if unknown[0].startswith("{{") else "{{" + unknown[0] + "}}"
        names = ", ".join("{{" + name + "}}" for name in known)
        raise InvalidConfiguration(f"unknown placeholder {shown} (use {names})", field=field)


def render(text: str, values: Values, single_brace: bool = False) -> str:
    """Each value is computed only when the text uses it (queuePosition costs reads), at most once. A value that is
    None or empty renders as the placeholder's fallback, or empty. With `single_brace`, a deprecated `{name}` is
    rendered too when `values` knows the name (any other `{...}` stays as written)."""
    cache: dict[str, str] = {}

    def value_of(name: str) -> str:
        if name not in cache:
            getter = values.get(name)
            value = getter() if getter else None
            cache[name] = "" if value is None else str(value)
        return cache[name]

    def substitute(match: re.Match[str]) -> str:
        name, single = match.group(1), match.group(5) if single_brace else None
        if name is not None:
            fallback = next((group for group in match.group(2, 3, 4) if group is not None), "")
            return value_of(name) or fallback
        if single is not None and single in values:
            return value_of(single)
        return match.group(0)

    return (_WITH_SINGLE_BRACE if single_brace else _PLACEHOLDER).sub(substitute, text)


def context_values(
    interaction_id: str,
    phone: str,
    account_name: str,
    contact_name: Callable[[], str | None],
    agent_name: Callable[[], str | None] | None = None,
) -> dict[str, Callable[[], object]]:
    """The dotted names' values for one interaction; the contact's name is looked up at most once."""
    looked_up: list[str | None] = []

    def name() -> str | None:
        if not looked_up:
            looked_up.append(contact_name())
        return looked_up[0]

    def first_name() -> str | None:
        full = name()
        return full.split()[0] if full and full.split() else None

    values: dict[str, Callable[[], object]] = {
        "contact.name": name,
        "contact.firstName": first_name,
        "contact.phone": lambda: phone,
        "account.name": lambda: account_name,
        "interaction.id": lambda: interaction_id,
        "phone": lambda: phone,
        "contactName": name,
        "accountName": lambda: account_name,
    }
    if agent_name is not None:
        values["agent.name"] = agent_name
    return values
