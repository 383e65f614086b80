"""The trigger engine: for one event, the account's enabled triggers for it in priority order; each that matches
fires at most once per stream record (its run is the claim) and runs its actions in order. Then, for a customer's
message while a bot has the conversation, the bot's turn.

The caller (the stream handler) routes afterwards, using the returned `EngineOutcome`: an interaction a trigger
closed or handed to a bot is not routed; one a trigger moved to another queue (or a bot handed off) is routed now.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from smschannel.errors import DomainError
from smschannel.models import Account, Interaction, InteractionStatus, Message
from smschannel.observability import logger
from smschannel.stores.triggers import TriggerStore
from smschannel.templates import context_values, render
from smschannel.timestamps import parse_iso
from smschannel.triggers.bots import BotAnswer, BotBackend, BotError, BotTurn
from smschannel.triggers.conditions import Facts, Matcher, compile_conditions, time_zone, valid_holidays
from smschannel.triggers.events import Occurrence
from smschannel.triggers.model import (
    Action,
    ActionOutcome,
    AutoReply,
    Bot,
    CallUrl,
    Close,
    OptIn,
    OptOut,
    Route,
    SetAttributes,
    Tag,
    Trigger,
    TriggerRun,
)

TRIGGER_CACHE_SECONDS = 10.0
# Changes trigger actions may write on one interaction before its events stop being evaluated (loop guard).
MAX_TRIGGER_HOPS = 25


class Replier(Protocol):
    """Outbound's `OutboundService.reply`."""

    def reply(
        self, interaction_id: str, body: str, client_message_id: str, *, media: list[str] | None = None, sender: str
    ) -> Any: ...


class OptOutList(Protocol):
    """Outbound's `smschannel.optouts` store."""

    def opt_out(self, account_id: str, phone: str, source: str) -> Any: ...

    def opt_in(self, account_id: str, phone: str, source: str) -> Any: ...


class Dispatcher(Protocol):
    """Where callUrl deliveries go to be posted apart from the stream (an SQS queue with a dead-letter queue)."""

    def dispatch(self, delivery: dict[str, Any]) -> None: ...


@dataclass
class EngineOutcome:
    skip_routing: bool = False  # closed, or with a bot: routing leaves it alone
    route: Interaction | None = None  # moved to another queue or handed off by a bot: route it now
    prefer_agent: str | None = None  # a route action named an agent
    fired: list[str] = field(default_factory=list)
    # A redelivered record whose triggers had fired already: the image may predate what they did, so routing
    # reads the interaction afresh instead of trusting the image.
    replayed: bool = False

    def merge(self, other: EngineOutcome) -> None:
        self.skip_routing = self.skip_routing or other.skip_routing
        self.replayed = self.replayed or other.replayed
        self.route = other.route or self.route
        self.prefer_agent = other.prefer_agent or self.prefer_agent
        self.fired += other.fired


@dataclass(frozen=True)
class _Compiled:
    trigger: Trigger
    matcher: Matcher

    @property
    def has_bot(self) -> bool:
        return any(isinstance(action, Bot) for action in self.trigger.actions)


@dataclass
class _Firing:
    """What the actions of one event share: the interaction as they leave it, and the outcome for routing."""

    occurrence: Occurrence
    account: Account
    interaction: Interaction
    facts: Facts
    outcome: EngineOutcome
    bot_fed: bool = False


class TriggerEngine:
    def __init__(
        self,
        store: TriggerStore,
        *,
        account_of: Callable[[str], Account | None],
        close: Callable[[str, str | None], Any],
        contact_name: Callable[[str], str | None],
        replier: Replier | None,
        optouts: OptOutList | None,
        dispatcher: Dispatcher | None,
        bots: dict[str, BotBackend],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache_seconds: float = TRIGGER_CACHE_SECONDS,
    ) -> None:
        self.store = store
        self.account_of = account_of
        self.close = close
        self.contact_name = contact_name
        self.replier = replier
        self.optouts = optouts
        self.dispatcher = dispatcher
        self.bots = bots
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._triggers: dict[str, tuple[float, list[_Compiled]]] = {}
        self._matchers: dict[tuple[str, str, str], Matcher] = {}

    # --- one event -------------------------------------------------------------------------------------------

    def handle(self, occurrence: Occurrence) -> EngineOutcome:
        outcome = EngineOutcome()
        account_triggers = self._account_triggers(occurrence.account_id)
        triggers = [each for each in account_triggers if each.trigger.event == occurrence.event]
        # A customer's message may be a bot's turn: only accounts with a bot trigger pay the interaction read.
        bot_turn = occurrence.event == "message.received" and any(each.has_bot for each in account_triggers)
        if not triggers and not bot_turn:
            return outcome
        interaction = occurrence.interaction
        if bot_turn or interaction is None:
            interaction = self.store.get_interaction(occurrence.interaction_id)
        if interaction is None:
            return outcome
        if bot_turn and not triggers and not interaction.bot:
            return outcome
        account = self.account_of(occurrence.account_id)
        if account is None:
            return outcome
        if interaction.trigger_hops >= MAX_TRIGGER_HOPS:
            logger.warning(
                "trigger loop guard: events of this interaction are no longer evaluated",
                extra={"interactionId": interaction.id, "hops": interaction.trigger_hops},
            )
            return outcome
        firing = _Firing(occurrence, account, interaction, self._facts(account, interaction, occurrence), outcome)
        for compiled in triggers:
            if not self._matches(compiled, firing):
                continue
            self._fire(compiled.trigger, firing)
            if compiled.trigger.stop_processing:
                break
        if bot_turn and not firing.bot_fed:
            self._bot_turn(firing)
        return outcome

    def current(self, interaction_id: str) -> Interaction | None:
        return self.store.get_interaction(interaction_id)

    def release_orphaned_bot(self, interaction: Interaction) -> EngineOutcome:
        """An interaction still with a bot whose trigger was deleted, disabled or edited: hand it to a person.
        Checked on the interaction's own changes (each customer message updates it), at no extra read."""
        outcome = EngineOutcome()
        if interaction.bot and interaction.status == InteractionStatus.OPEN and self._bot_of(interaction) is None:
            occurrence = Occurrence("", "bot.orphaned", interaction.account_id, interaction.id, "", "", interaction)
            account = self.account_of(interaction.account_id)
            if account is not None:
                facts = Facts(values={}, now=self.clock(), zone=time_zone(None))
                self._hand_off(_Firing(occurrence, account, interaction, facts, outcome), None, "bot-removed")
        return outcome

    def _matches(self, compiled: _Compiled, firing: _Firing) -> bool:
        facts = firing.facts
        if compiled.trigger.time_zone:
            facts = self._facts(firing.account, firing.interaction, firing.occurrence, compiled.trigger.time_zone)
        try:
            return compiled.matcher.matches(facts)
        except Exception:  # noqa: BLE001 (a rule must never fail the record, nor the routing behind it)
            logger.exception("trigger condition failed", extra={"triggerId": compiled.trigger.id})
            return False

    def _fire(self, trigger: Trigger, firing: _Firing) -> None:
        occurrence = firing.occurrence
        run = TriggerRun(
            id=occurrence.event_id,
            trigger_id=trigger.id,
            account_id=trigger.account_id,
            event=occurrence.event,
            interaction_id=firing.interaction.id,
        )
        if not self.store.begin_run(run, occurrence.position):
            logger.info("trigger already fired for this event", extra={"triggerId": trigger.id})
            firing.outcome.replayed = True
            return
        for index, action in enumerate(trigger.actions):
            try:
                result = self._act(trigger, index, action, firing, run)
            except DomainError as exc:
                result = ActionOutcome(type=action.type, outcome="skipped", detail=exc.message)
            except Exception as exc:  # noqa: BLE001 (one failing action never stops the others, nor the shard)
                logger.exception("trigger action failed", extra={"triggerId": trigger.id, "action": action.type})
                result = ActionOutcome(type=action.type, outcome="failed", detail=type(exc).__name__)
            run.actions.append(result)
        failed = sum(1 for each in run.actions if each.outcome == "failed")
        run.outcome = "ok" if not failed else ("failed" if failed == len(run.actions) else "partial")
        self.store.finish_run(run, occurrence.position)
        firing.outcome.fired.append(trigger.id)
        logger.info(
            "trigger fired",
            extra={
                "triggerId": trigger.id,
                "event": occurrence.event,
                "interactionId": run.interaction_id,
                "outcome": run.outcome,
            },
        )

    # --- actions ---------------------------------------------------------------------------------------------

    def _act(self, trigger: Trigger, index: int, action: Action, firing: _Firing, run: TriggerRun) -> ActionOutcome:
        interaction = firing.interaction
        if isinstance(action, (Tag, SetAttributes)):
            if isinstance(action, Tag):
                written = self.store.add_tags(interaction, action.tags)
                changed: dict[str, Any] = {"tags": list(dict.fromkeys([*interaction.tags, *action.tags]))}
            else:
                written = self.store.set_attributes(interaction, action.attributes)
                changed = {"attributes": {**interaction.attributes, **action.attributes}}
            if not written:
                return ActionOutcome(type=action.type, outcome="skipped", detail="interaction closed")
            firing.interaction = interaction.model_copy(update=changed)
            return ActionOutcome(type=action.type, outcome="done")
        if isinstance(action, CallUrl):
            return self._call_url(trigger, index, firing, run)
        if isinstance(action, (OptOut, OptIn)):
            if self.optouts is None:
                return ActionOutcome(type=action.type, outcome="skipped", detail="opt-out list unavailable")
            source = f"trigger:{trigger.id}"
            if isinstance(action, OptOut):
                self.optouts.opt_out(interaction.account_id, interaction.phone, source)
            else:
                self.optouts.opt_in(interaction.account_id, interaction.phone, source)
            return ActionOutcome(type=action.type, outcome="done")
        if interaction.status != InteractionStatus.OPEN:
            return ActionOutcome(type=action.type, outcome="skipped", detail="interaction closed")
        if isinstance(action, AutoReply):
            return self._auto_reply(trigger, action, firing)
        if isinstance(action, Close):
            self.close(interaction.id, action.disposition)
            firing.interaction = interaction.model_copy(
                update={"status": InteractionStatus.CLOSED, "disposition": action.disposition}
            )
            firing.outcome.skip_routing = True
            firing.outcome.route = None
            return ActionOutcome(type="close", outcome="done", detail=action.disposition)
        if isinstance(action, Route):
            return self._route(action, firing)
        assert isinstance(action, Bot)
        return self._start_bot(trigger, index, action, firing)

    def _auto_reply(self, trigger: Trigger, action: AutoReply, firing: _Firing) -> ActionOutcome:
        if self.replier is None:
            return ActionOutcome(type="autoReply", outcome="skipped", detail="outbound unavailable")
        interaction, occurrence = firing.interaction, firing.occurrence
        if action.frequency == "once" and not self.store.claim_once(interaction.id, trigger.id, occurrence.event_id):
            return ActionOutcome(type="autoReply", outcome="skipped", detail="already replied on this interaction")
        options = firing.account.options
        limit, window = options.auto_reply_limit, options.auto_reply_window_seconds
        charge = f"{occurrence.event_id}:{trigger.id}"
        if not self.store.take_auto_reply(interaction.account_id, interaction.phone, limit, window, charge):
            logger.info("auto-reply rate limited", extra={"triggerId": trigger.id, "interactionId": interaction.id})
            return ActionOutcome(type="autoReply", outcome="skipped", detail=f"rate limited ({limit} per {window} s)")
        text = render(action.text, self._template_values(firing))
        message = self.replier.reply(
            interaction.id,
            text,
            _client_message_id(trigger.id, occurrence.event_id),
            sender=f"trigger:{trigger.id}",
        )
        return ActionOutcome(type="autoReply", outcome="done", detail=getattr(message, "id", None))

    def _route(self, action: Route, firing: _Firing) -> ActionOutcome:
        interaction = firing.interaction
        if interaction.bot:
            return ActionOutcome(type="route", outcome="skipped", detail="a bot has the conversation")
        queue_id = action.queue_id or interaction.queue_id
        if not queue_id:
            return ActionOutcome(type="route", outcome="skipped", detail="the interaction has no queue")
        if action.agent_id and interaction.agent_id == action.agent_id:
            return ActionOutcome(type="route", outcome="skipped", detail="already with that agent")
        if action.queue_id and interaction.queue_id == queue_id and not interaction.agent_id:
            # Not yet routed or waiting in that queue already: routing (after the triggers) takes it from here.
            return ActionOutcome(type="route", outcome="done", detail=f"queue {queue_id}")
        needs_move = interaction.agent_id is not None or interaction.queue_id != queue_id
        if needs_move and not self.store.move_to_queue(interaction, queue_id):
            return ActionOutcome(type="route", outcome="skipped", detail="interaction closed or changed meanwhile")
        firing.interaction = interaction.model_copy(update={"queue_id": queue_id, "agent_id": None})
        firing.outcome.route = firing.interaction
        firing.outcome.prefer_agent = action.agent_id
        return ActionOutcome(
            type="route", outcome="done", detail=f"agent {action.agent_id}" if action.agent_id else f"queue {queue_id}"
        )

    def _call_url(self, trigger: Trigger, index: int, firing: _Firing, run: TriggerRun) -> ActionOutcome:
        if self.dispatcher is None:
            return ActionOutcome(type="callUrl", outcome="skipped", detail="delivery queue unavailable")
        occurrence = firing.occurrence
        payload: dict[str, Any] = {
            "event": occurrence.event,
            "eventId": occurrence.event_id,
            "at": occurrence.at,
            "accountId": firing.account.id,
            "triggerId": trigger.id,
            "interaction": firing.interaction.to_json_dict(),
        }
        if occurrence.message is not None:
            payload["message"] = occurrence.message.to_json_dict()
        self.dispatcher.dispatch(
            {
                "accountId": trigger.account_id,
                "triggerId": trigger.id,
                "action": index,
                "position": occurrence.position,
                "eventId": occurrence.event_id,
                "body": json.dumps(payload, separators=(",", ":"), sort_keys=True),
            }
        )
        return ActionOutcome(type="callUrl", outcome="queued")

    # --- bots ------------------------------------------------------------------------------------------------

    def _start_bot(self, trigger: Trigger, index: int, action: Bot, firing: _Firing) -> ActionOutcome:
        interaction = firing.interaction
        if interaction.agent_id:
            return ActionOutcome(type="bot", outcome="skipped", detail="an agent has the conversation")
        state = {
            "triggerId": trigger.id,
            "action": index,
            "backend": action.backend,
            "since": firing.occurrence.at,
            "turns": 0,
        }
        if not interaction.bot and not self.store.start_bot(interaction, state):
            return ActionOutcome(type="bot", outcome="skipped", detail="interaction closed or assigned meanwhile")
        firing.interaction = interaction.model_copy(update={"bot": interaction.bot or state})
        firing.outcome.skip_routing = True
        firing.outcome.route = None
        # The message that set the trigger off is the bot's first turn.
        firing.bot_fed = True
        self._converse(action, firing, firing.facts.body)
        return ActionOutcome(type="bot", outcome="done", detail=action.backend)

    def _bot_turn(self, firing: _Firing) -> None:
        interaction, message = firing.interaction, firing.occurrence.message
        if not interaction.bot or interaction.status != InteractionStatus.OPEN or message is None:
            return
        if message.created_at == interaction.created_at:
            return  # the first message was the bot's first turn already (event interaction.created)
        firing.outcome.skip_routing = True
        bot = self._bot_of(interaction)
        if bot is None:
            self._hand_off(firing, None, "bot-removed")
            return
        if message.body.strip().casefold() == bot.handoff_keyword.casefold():
            self._hand_off(firing, bot.queue_id, "customer-asked")
            return
        if int(interaction.bot.get("turns", 0)) >= bot.max_turns:
            self._hand_off(firing, bot.queue_id, "max-turns")
            return
        self._converse(bot, firing, message.body)

    def _converse(self, bot: Bot, firing: _Firing, text: str) -> None:
        interaction, occurrence = firing.interaction, firing.occurrence
        backend = self.bots.get(bot.backend)
        turn = BotTurn(interaction.id, interaction.account_id, interaction.phone, text, dict(interaction.attributes))
        try:
            if backend is None:
                raise BotError(f"no {bot.backend} backend")
            answer: BotAnswer = backend.converse(bot, turn)
        except BotError as exc:
            logger.warning("bot failed: handing off", extra={"interactionId": interaction.id, "reason": str(exc)})
            self._hand_off(firing, bot.queue_id, "bot-error")
            return
        attributes = {**interaction.attributes, **answer.attributes} if answer.attributes else {}
        self.store.bot_turn(interaction.id, attributes)
        if attributes:
            firing.interaction = firing.interaction.model_copy(update={"attributes": attributes})
        if answer.reply and self.replier is not None:
            try:
                self.replier.reply(interaction.id, answer.reply, f"bot-{occurrence.event_id}", sender="bot")
            except DomainError as exc:
                logger.info("bot reply refused", extra={"interactionId": interaction.id, "reason": exc.code})
        if answer.handoff:
            self._hand_off(firing, bot.queue_id, answer.reason or "bot-handoff")

    def _hand_off(self, firing: _Firing, queue_id: str | None, reason: str) -> None:
        interaction = firing.interaction
        if not self.store.end_bot(interaction.id, queue_id, reason):
            return
        logger.info("bot handed off", extra={"interactionId": interaction.id, "reason": reason})
        firing.interaction = interaction.model_copy(update={"bot": None, "queue_id": queue_id or interaction.queue_id})
        firing.outcome.skip_routing = False
        firing.outcome.route = firing.interaction if firing.interaction.queue_id else None

    def _bot_of(self, interaction: Interaction) -> Bot | None:
        state = interaction.bot or {}
        for compiled in self._account_triggers(interaction.account_id):
            if compiled.trigger.id == state.get("triggerId"):
                actions = compiled.trigger.actions
                index = int(state.get("action", -1))
                if 0 <= index < len(actions) and isinstance(actions[index], Bot):
                    return actions[index]  # type: ignore[return-value]
        return None

    # --- facts and templates ----------------------------------------------------------------------------------

    def _facts(
        self, account: Account, interaction: Interaction, occurrence: Occurrence, zone_name: str | None = None
    ) -> Facts:
        try:
            zone = time_zone(zone_name or account.options.time_zone)
        except ValueError:
            zone = time_zone(None)
        try:
            holidays = valid_holidays(account.options.holidays)
        except ValueError:
            holidays = frozenset()
        message = occurrence.message
        first = occurrence.event == "interaction.created" or (
            message is not None and message.created_at == interaction.created_at
        )
        values = {
            "from": interaction.phone,
            "to": interaction.to or account.phone_number,
            "queueId": interaction.queue_id,
            "agentId": interaction.agent_id,
            "firstMessage": first,
            "disposition": interaction.disposition,
            "tags": interaction.tags,
            "attributes": interaction.attributes,
        }
        body: Callable[[], str] | str = (
            message.body if message is not None else lambda: _body_of(self.store.first_message(interaction.id))
        )
        return Facts(values=values, now=self.clock(), zone=zone, holidays=holidays, body=body)

    def _template_values(self, firing: _Firing) -> dict[str, Callable[[], object]]:
        interaction, account = firing.interaction, firing.account

        def position() -> int | None:
            if not interaction.queue_id or interaction.agent_id:
                return None
            ahead = self.store.count_ahead(interaction.queue_id, interaction.id, interaction.created_at)
            return ahead + 1

        def waited() -> int:
            created = parse_iso(interaction.created_at)
            return max(0, int((self.clock() - created).total_seconds() // 60))

        def contact_name() -> str | None:
            return interaction.contact_name or (
                self.contact_name(interaction.contact_id) if interaction.contact_id else None
            )

        return {
            **context_values(interaction.id, interaction.phone, account.name, contact_name),
            "queuePosition": position,
            "waitMinutes": waited,
        }

    # --- configuration cache ---------------------------------------------------------------------------------

    def _account_triggers(self, account_id: str) -> list[_Compiled]:
        """Enabled triggers of the account in priority order, compiled once per version; reread every few seconds."""
        cached = self._triggers.get(account_id)
        now = time.monotonic()
        if cached and now - cached[0] < self.cache_seconds:
            return cached[1]
        compiled: list[_Compiled] = []
        for trigger in self.store.list_triggers(account_id):
            if not trigger.enabled:
                continue
            key = (account_id, trigger.id, trigger.updated_at)
            matcher = self._matchers.get(key)
            if matcher is None:
                try:
                    matcher = compile_conditions(trigger.conditions)
                except ValueError:
                    logger.warning("stored trigger has invalid rules; skipped", extra={"triggerId": trigger.id})
                    continue
                self._matchers[key] = matcher
            compiled.append(_Compiled(trigger, matcher))
        self._triggers[account_id] = (now, compiled)
        return compiled


def _body_of(message: Message | None) -> str:
    return message.body if message else ""


def _client_message_id(trigger_id: str, event_id: str) -> str:
    """One per trigger and stream record (a redelivery replies once), short whatever the trigger id's length."""
    return "trigger-" + hashlib.sha256(f"{trigger_id}|{event_id}".encode()).hexdigest()[:40]
