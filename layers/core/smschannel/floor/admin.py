"""The floor's admin use cases: teams (and the queues built from them), the center's settings, an account's block
list, and transfer and wrap-up as a supervisor or an admin does them through the API. Every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smschannel.audit import AuditTrail
from smschannel.errors import InvalidConfiguration, NotFound
from smschannel.floor.blocklist import BlockListScreen
from smschannel.floor.transfer import TransferService
from smschannel.floor.wrapup import WrapUpService
from smschannel.models import Account, BlockedNumber, Interaction, Queue, Settings, SettingsIn, Team, TeamIn
from smschannel.phone import normalize_phone
from smschannel.stores.blocklist import BlockListStore
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.floor import FloorStore
from smschannel.stores.interactions import InteractionStore


def queue_members(configuration: ConfigurationStore, agent_ids: list[str], team_ids: list[str]) -> list[str]:
    """A queue's members: its agentIds, then each of its teams' agents, once each, in that order. 422 naming
    `teamIds` for a team that does not exist."""
    members = list(dict.fromkeys(agent_ids))
    teams = {team.id: team for team in configuration.list_teams()}
    missing = [team_id for team_id in team_ids if team_id not in teams]
    if missing:
        raise InvalidConfiguration(f"team {missing[0]!r} does not exist", field="teamIds")
    for team_id in team_ids:
        members += [agent_id for agent_id in teams[team_id].agent_ids if agent_id not in members]
    return members


class FloorAdmin:
    def __init__(
        self,
        configuration: ConfigurationStore,
        interactions: InteractionStore,
        audit: AuditTrail | None,
        actor: Callable[[], str] | None = None,
    ) -> None:
        self.configuration = configuration
        self.interactions = interactions
        self.audit = audit
        self.actor = actor or (lambda: "admin")
        floor = FloorStore(configuration.table)
        self.blocklist = BlockListStore(configuration.table)
        self.screen = BlockListScreen(self.blocklist, interactions)
        self.transfers = TransferService(configuration, interactions, floor)
        self.wrap_up = WrapUpService(configuration, interactions, floor)

    # --- teams -----------------------------------------------------------------------------------------------

    def put_team(self, team_id: str, body: TeamIn) -> tuple[Team, bool]:
        missing = [
            agent_id for agent_id in dict.fromkeys(body.agent_ids) if self.configuration.get_agent(agent_id) is None
        ]
        if missing:
            raise InvalidConfiguration(f"agent {missing[0]!r} does not exist", field="agentIds")
        before = self.configuration.get_team(team_id)
        team = Team(id=team_id, **{**body.model_dump(), "agent_ids": list(dict.fromkeys(body.agent_ids))})
        created = self.configuration.put_team(team)
        stored = self.get_team(team_id)
        self._refresh_queues_of(team_id)
        self._changed("team", f"team/{team_id}", before, stored)
        return stored, created

    def get_team(self, team_id: str) -> Team:
        team = self.configuration.get_team(team_id)
        if team is None:
            raise NotFound(f"team {team_id!r} not found")
        return team

    def list_teams(self) -> list[Team]:
        return self.configuration.list_teams()

    def delete_team(self, team_id: str) -> None:
        """The team leaves every queue that named it (their members are written again without its agents)."""
        before = self.get_team(team_id)
        for queue in self.configuration.list_queues():
            if team_id in queue.team_ids:
                kept = [each for each in queue.team_ids if each != team_id]
                self._save_members(queue.model_copy(update={"team_ids": kept}), deleted=team_id)
        self.configuration.delete_team(team_id)
        self._changed("team", f"team/{team_id}", before, None)

    def _refresh_queues_of(self, team_id: str) -> None:
        for queue in self.configuration.list_queues():
            if team_id in queue.team_ids:
                self._save_members(queue)

    def _save_members(self, queue: Queue, deleted: str | None = None) -> None:
        team_ids = [each for each in queue.team_ids if each != deleted]
        members = queue_members(self.configuration, queue.agent_ids, team_ids)
        self.configuration.put_queue(queue.model_copy(update={"team_ids": team_ids, "member_ids": members}))

    # --- settings --------------------------------------------------------------------------------------------

    def get_settings(self) -> Settings:
        return self.configuration.get_settings()

    def put_settings(self, body: SettingsIn) -> Settings:
        before = self.configuration.get_settings()
        settings = Settings(pause_reasons=list(dict.fromkeys(body.pause_reasons)))
        self.configuration.put_settings(settings)
        self._changed("settings", "settings", before, settings)
        return settings

    # --- block list ------------------------------------------------------------------------------------------

    def block(self, account: Account, phone: str, reason: str | None) -> tuple[BlockedNumber, bool]:
        normalized = _phone(phone, account)
        entry = BlockedNumber(
            id=normalized, account_id=account.id, phone=normalized, reason=reason, blocked_by=self.actor()
        )
        created = self.blocklist.block(entry)
        open_now = self.interactions.get_open_interaction(account.id, normalized)
        if open_now is not None:
            self.screen.close_blocked(open_now.id)
        stored = self.blocklist.get(account.id, normalized)
        assert stored is not None
        if created and self.audit:
            self.audit.record(
                "blocked.created", f"account/{account.id}/blocked/{normalized}", None, stored.to_json_dict()
            )
        return stored, created

    def unblock(self, account: Account, phone: str) -> None:
        normalized = _phone(phone, account)
        if not self.blocklist.unblock(account.id, normalized):
            raise NotFound(f"{normalized} is not blocked on account {account.id}")
        if self.audit:
            self.audit.record("blocked.deleted", f"account/{account.id}/blocked/{normalized}")

    def get_blocked(self, account: Account, phone: str) -> BlockedNumber:
        normalized = _phone(phone, account)
        entry = self.blocklist.get(account.id, normalized)
        if entry is None:
            raise NotFound(f"{normalized} is not blocked on account {account.id}")
        return entry

    def list_blocked(self, account: Account) -> list[BlockedNumber]:
        return self.blocklist.list(account.id)

    # --- transfer and wrap-up ----------------------------------------------------------------------------------

    def transfer(
        self, interaction_id: str, agent_id: str | None, queue_id: str | None, note: str | None
    ) -> Interaction:
        moved = self.transfers.transfer(
            interaction_id, agent_id=agent_id, queue_id=queue_id, note=note, by=self.actor()
        )
        if self.audit:
            target = {"agentId": agent_id} if agent_id else {"queueId": queue_id}
            self.audit.record("interaction.transferred", f"interaction/{interaction_id}", None, target)
        return moved

    def close(self, interaction: Interaction, disposition: str | None) -> Interaction:
        return self.wrap_up.close(interaction, disposition)

    def _changed(self, kind: str, resource: str, before: Any, after: Any) -> None:
        if self.audit:
            self.audit.change_of(kind, resource, before, after)


def _phone(phone: str, account: Account) -> str:
    try:
        return normalize_phone(phone, account.default_region)
    except ValueError as exc:
        raise InvalidConfiguration(str(exc), field="phone") from exc
