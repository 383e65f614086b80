"""Admin use cases of triggers: save (validated, 422 naming the field), read, delete, and a trigger's recent runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smschannel.errors import NotFound
from smschannel.stores.triggers import TriggerStore
from smschannel.triggers.model import Trigger, TriggerRun
from smschannel.triggers.validation import parse_trigger, validate_trigger


class TriggerAdmin:
    def __init__(
        self,
        store: TriggerStore,
        *,
        account_exists: Callable[[str], bool],
        queue_exists: Callable[[str], bool],
        agent_exists: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.account_exists = account_exists
        self.queue_exists = queue_exists
        self.agent_exists = agent_exists

    def put(self, account_id: str, trigger_id: str, body: Any) -> tuple[Trigger, bool]:
        self._account(account_id)
        trigger_in = parse_trigger(body)
        validate_trigger(trigger_in, queue_exists=self.queue_exists, agent_exists=self.agent_exists)
        created = self.store.put_trigger(Trigger(id=trigger_id, account_id=account_id, **trigger_in.model_dump()))
        stored = self.store.get_trigger(account_id, trigger_id)
        assert stored is not None
        return stored, created

    def list_all(self, account_id: str) -> list[Trigger]:
        self._account(account_id)
        return self.store.list_triggers(account_id)

    def get(self, account_id: str, trigger_id: str) -> Trigger:
        trigger = self.store.get_trigger(account_id, trigger_id)
        if trigger is None:
            raise NotFound(f"trigger {trigger_id!r} not found on account {account_id!r}")
        return trigger

    def delete(self, account_id: str, trigger_id: str) -> None:
        if not self.store.delete_trigger(account_id, trigger_id):
            raise NotFound(f"trigger {trigger_id!r} not found on account {account_id!r}")

    def runs(self, account_id: str, trigger_id: str) -> list[TriggerRun]:
        """Newest first. Runs outlive a deleted trigger until their TTL, so they answer for it too."""
        self._account(account_id)
        return self.store.list_runs(account_id, trigger_id)

    def _account(self, account_id: str) -> None:
        if not self.account_exists(account_id):
            raise NotFound(f"account {account_id!r} not found")
