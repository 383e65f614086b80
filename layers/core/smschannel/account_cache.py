"""Accounts by id with a short per-container cache: an inbound burst reads each account once, not per message."""

from __future__ import annotations

import time

from smschannel.credentials import with_secret_credentials
from smschannel.errors import UnknownAccount
from smschannel.models import Account
from smschannel.stores.configuration import ConfigurationStore


class AccountCache:
    def __init__(self, configuration: ConfigurationStore, ttl_seconds: float) -> None:
        self.configuration = configuration
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, Account]] = {}

    def get(self, account_id: str) -> Account:
        cached = self._cache.get(account_id)
        now = time.monotonic()
        if cached and now - cached[0] < self.ttl_seconds:
            return cached[1]
        account = self.configuration.get_account(account_id)
        if account is None:
            # Unknown ids are not cached: an account created a moment ago must work at once.
            self._cache.pop(account_id, None)
            raise UnknownAccount(f"unknown account {account_id!r}")
        account = with_secret_credentials(account)
        self._cache[account_id] = (now, account)
        return account
