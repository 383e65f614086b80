"""The audit trail of admin changes: who (a username, `client:<id>` or `break-glass`), when, what and the changed
fields before and after. Secrets are never recorded: a credential or signing secret shows only that it changed
(and, for a credentials object, which of its names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smschannel.stores.audit import AuditStore

# Fields whose values never enter the trail, wherever they sit (an account's credentials, a callUrl's secret).
SECRET_FIELDS = frozenset({"credentials", "secret", "authToken", "apiSecret", "signatureSecret", "password", "token"})
# Bookkeeping that changes on every write.
IGNORED_FIELDS = frozenset({"updatedAt", "createdAt"})
REDACTED = "(redacted)"


class AuditTrail:
    def __init__(self, store: AuditStore, actor: Callable[[], str]) -> None:
        self.store = store
        self.actor = actor

    def record(
        self, action: str, resource: str, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None
    ) -> None:
        self.store.append(self.actor(), action, resource, changed_fields(before or {}, after or {}))

    def change(self, kind: str, resource: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        """`<kind>.created`, `.updated` or `.deleted`, from whether there was a before and an after."""
        action = "deleted" if after is None else "created" if before is None else "updated"
        self.record(f"{kind}.{action}", resource, before, after)

    def change_of(self, kind: str, resource: str, before: Any, after: Any) -> None:
        """`change` from the stored objects (models with `to_json_dict`) before and after it (None: absent)."""
        self.change(
            kind,
            resource,
            before.to_json_dict() if before is not None else None,
            after.to_json_dict() if after is not None else None,
        )

    def entries(self, resource: str | None, actor: str | None, since: str | None) -> list[dict[str, Any]]:
        return self.store.list(resource, actor, since)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """`{field: {"before", "after"}}` for each top-level field that differs, secrets redacted."""
    changes: dict[str, Any] = {}
    for name in dict.fromkeys([*before, *after]):
        if name in IGNORED_FIELDS or before.get(name) == after.get(name):
            continue
        old, new = before.get(name), after.get(name)
        if name in SECRET_FIELDS:
            changes[name] = {"changed": sorted(_changed_names(old, new)) if _both_dicts(old, new) else True}
        else:
            changes[name] = {"before": redact(old), "after": redact(new)}
    return changes


def _both_dicts(old: Any, new: Any) -> bool:
    return isinstance(old or {}, dict) and isinstance(new or {}, dict)


def _changed_names(old: dict[str, Any] | None, new: dict[str, Any] | None) -> set[str]:
    old, new = old or {}, new or {}
    return {key for key in {*old, *new} if old.get(key) != new.get(key)}


def redact(value: Any) -> Any:
    """The value with every secret field's value replaced, at any depth."""
    if isinstance(value, dict):
        return {key: REDACTED if key in SECRET_FIELDS else redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
