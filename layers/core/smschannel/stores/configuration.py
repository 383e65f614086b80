"""Configuration items: accounts, queues, teams, agents and the center's settings (an account's triggers:
smschannel.stores.triggers)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from smschannel import keys
from smschannel.dynamo import Table, cancellation_reasons, to_item, to_values
from smschannel.models import Account, Agent, Queue, Settings, Team
from smschannel.observability import logger


class ConfigurationStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    # --- accounts ------------------------------------------------------------------------------------------

    def put_account(self, account: Account) -> bool:
        return self.table.put_entity(
            key=keys.account(account.id), index=keys.account_index(account.id), entity="account", model=account
        )

    def get_account(self, account_id: str) -> Account | None:
        item = self.table.get(keys.account(account_id))
        return stored_account(item) if item else None

    def list_accounts(self) -> list[Account]:
        return [stored_account(item) for item in self._index_entities("ACCOUNTS")]

    def delete_account(self, account_id: str) -> bool:
        return self.table.delete(keys.account(account_id))

    # --- queues --------------------------------------------------------------------------------------------

    def put_queue(self, queue: Queue) -> bool:
        return self.table.put_entity(
            key=keys.queue(queue.id), index=keys.queue_index(queue.id), entity="queue", model=queue
        )

    def get_queue(self, queue_id: str) -> Queue | None:
        item = self.table.get(keys.queue(queue_id))
        return Queue.model_validate(item) if item else None

    def list_queues(self) -> list[Queue]:
        return [Queue.model_validate(item) for item in self._index_entities("QUEUES")]

    def delete_queue(self, queue_id: str) -> bool:
        return self.table.delete(keys.queue(queue_id))

    # --- teams ---------------------------------------------------------------------------------------------

    def put_team(self, team: Team) -> bool:
        return self.table.put_entity(key=keys.team(team.id), index=keys.team_index(team.id), entity="team", model=team)

    def get_team(self, team_id: str) -> Team | None:
        item = self.table.get(keys.team(team_id))
        return Team.model_validate(item) if item else None

    def list_teams(self) -> list[Team]:
        return [Team.model_validate(item) for item in self._index_entities("TEAMS")]

    def delete_team(self, team_id: str) -> bool:
        return self.table.delete(keys.team(team_id))

    # --- settings ------------------------------------------------------------------------------------------

    def get_settings(self) -> Settings:
        item = self.table.get(keys.settings(), consistent=False)
        return Settings.model_validate(item) if item else Settings()

    def put_settings(self, settings: Settings) -> None:
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item({**keys.settings(), "entity": "settings", **settings.to_json_dict()}),
        )

    # --- agents --------------------------------------------------------------------------------------------

    def put_agent(self, agent: Agent) -> bool:
        # Load, last assignment and wrap-ups belong to routing: an admin update keeps them.
        return self.table.put_entity(
            key=keys.agent(agent.id),
            index=keys.agent_index(agent.id),
            entity="agent",
            model=agent,
            exclude={"load", "last_assigned_at", "wrap_ups"},
            defaults={"load": 0},
        )

    def get_agent(self, agent_id: str) -> Agent | None:
        item = self.table.get(keys.agent(agent_id))
        return Agent.model_validate(item) if item else None

    def list_agents(self) -> list[Agent]:
        return [Agent.model_validate(item) for item in self._index_entities("AGENTS")]

    def delete_agent(self, agent_id: str) -> bool:
        return self.table.delete(keys.agent(agent_id))

    def set_agent_status(self, agent_id: str, status: str, reason: str | None, now: str) -> bool:
        """An agent's own status change (`reason` kept only while paused); False when the agent does not exist."""
        return self.table.update_if(
            keys.agent(agent_id),
            "SET #s = :s, updatedAt = :now, statusChangedAt = :now, pauseReason = :r",
            "attribute_exists(pk)",
            {":s": status, ":now": now, ":r": reason},
            {"#s": "status"},
        )

    def _index_entities(self, partition: str) -> list[dict[str, Any]]:
        found = self.table.query_all(keys.GSI1, "gsi1pk", partition)
        item_keys = [{"pk": item["pk"], "sk": item["sk"]} for item in found]
        return sorted(self.table.batch_get(item_keys), key=lambda item: str(item.get("id")))


def release_agent_item(table: Table, agent_id: str, now: str) -> dict[str, Any]:
    """The transaction item giving one unit of an agent's capacity back (close, and `take_from_agent`)."""
    return {
        "Update": {
            "TableName": table.name,
            "Key": to_item(keys.agent(agent_id)),
            "UpdateExpression": "SET #l = #l - :one, lastReleasedAt = :now",
            "ConditionExpression": "attribute_exists(pk) AND #l > :zero",
            "ExpressionAttributeNames": {"#l": "load"},
            "ExpressionAttributeValues": to_values({":one": 1, ":zero": 0, ":now": now}),
        }
    }


def take_from_agent(
    table: Table, interaction_id: str, agent_id: str, now: str, *, update: str, values: dict[str, Any]
) -> bool:
    """One transaction takes an open interaction out of `agent_id`'s hands (`update`, which REMOVEs agentId, with
    its `values`; it may name the agent as :a and must record the time as :now) and gives that agent one unit of
    capacity back (requeue, reroute); False when the interaction was no longer open and that agent's, or the agent
    had no load to give back: nothing was written."""
    items = [
        {
            "Update": {
                "TableName": table.name,
                "Key": to_item(keys.interaction(interaction_id)),
                "UpdateExpression": update,
                "ConditionExpression": "#s = :open AND agentId = :a",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_values({**values, ":now": now, ":open": "open", ":a": agent_id}),
            }
        },
        release_agent_item(table, agent_id, now),
    ]
    try:
        table.client.transact_write_items(TransactItems=items)
    except ClientError as error:
        if cancellation_reasons(error):
            return False
        raise
    return True


def stored_account(item: dict[str, Any]) -> Account:
    """An account as stored. An option that was stored before it was checked on PUT (or under older rules) and no
    longer validates is dropped here, with a warning, so its default applies: a webhook for that account is still
    answered and stored rather than failing on every retry until the operator fixes the option."""
    try:
        return Account.model_validate(item)
    except ValidationError as exc:
        options = item.get("options") if isinstance(item.get("options"), dict) else {}
        bad = {str(error["loc"][1]) for error in exc.errors() if len(error["loc"]) > 1 and error["loc"][0] == "options"}
        if not bad or not options:
            raise
        logger.warning(
            "stored account options no longer valid: defaults apply",
            extra={"account": item.get("id"), "options": sorted(bad)},
        )
        return Account.model_validate(
            {**item, "options": {key: value for key, value in options.items() if key not in bad}}
        )
