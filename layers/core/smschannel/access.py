"""What each caller may do, declared per route: the roles of the README's "Who can do what" table.

Admins may call every route. Supervisors the routes listed here for them (reading interactions and contacts,
closing and replying, the opt-out lists, previews, canned replies, notes, search). Agents the desk's reads listed
for SIGNED_IN (canned replies and their rendering, a contact's history, search, notes on their own interactions,
a contact's name and tags); everything else they do over the WebSocket.
Machines (client credentials) by scope: `sms-channel/admin.read` opens the reads, `sms-channel/admin.write`
every admin route. A route that is not listed is for admins only, so a new route is closed until declared.
"""

from __future__ import annotations

from dataclasses import dataclass

from smschannel.errors import Forbidden
from smschannel.identity import SCOPE_READ, SCOPE_WRITE, Caller

ADMINS = frozenset({"admin"})
SUPERVISORS = frozenset({"admin", "supervisor"})
SIGNED_IN = frozenset({"admin", "supervisor", "agent"})


@dataclass(frozen=True)
class Rule:
    """`method` and `path` (`*` is one path segment) -> the roles that may call it; `machines` says whether a
    client-credentials token may (with the read or write scope as the method requires)."""

    method: str
    path: str
    roles: frozenset[str]
    machines: bool = True
    reads: bool = False  # a POST without side effects, opened by the read scope (previews)

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        pattern, actual = self.path.strip("/").split("/"), path.strip("/").split("/")
        if len(pattern) != len(actual):
            return False
        return all(want in ("*", got) for want, got in zip(pattern, actual, strict=True))


RULES: tuple[Rule, ...] = (
    # Agents read a contact's history (`?contactId=` only, checked by the route) and its conversations read-only.
    Rule("GET", "/admin/interactions", SIGNED_IN),
    Rule("GET", "/admin/interactions/*", SIGNED_IN),
    Rule("POST", "/admin/interactions/*/close", SUPERVISORS),
    Rule("POST", "/admin/interactions/*/messages", SUPERVISORS),
    # An agent notes its own interactions (checked by the route), supervisors any.
    Rule("POST", "/admin/interactions/*/notes", SIGNED_IN),
    # AI assist: supervisors ask for a summary again.
    Rule("POST", "/admin/interactions/*/summary", SUPERVISORS),
    Rule("GET", "/admin/contacts", SUPERVISORS),
    Rule("GET", "/admin/contacts/*", SIGNED_IN),
    # An agent edits a contact's name and tags only (checked by the route).
    Rule("PUT", "/admin/contacts/*", SIGNED_IN),
    Rule("GET", "/admin/search", SIGNED_IN),
    # Canned replies: supervisors write them, agents read and fill them.
    Rule("GET", "/admin/responses", SIGNED_IN),
    Rule("GET", "/admin/responses/*", SIGNED_IN),
    Rule("PUT", "/admin/responses/*", SUPERVISORS),
    Rule("DELETE", "/admin/responses/*", SUPERVISORS),
    Rule("POST", "/admin/responses/*/render", SIGNED_IN, reads=True),
    Rule("GET", "/admin/accounts/*/optouts", SUPERVISORS),
    Rule("POST", "/admin/messages/preview", SUPERVISORS, reads=True),
    # The floor: supervisors transfer and finish wrap-ups, keep the block lists, and read teams and settings
    # (admins write those).
    Rule("POST", "/admin/interactions/*/transfer", SUPERVISORS),
    Rule("POST", "/admin/interactions/*/wrap-up", SUPERVISORS),
    Rule("GET", "/admin/accounts/*/blocked", SUPERVISORS),
    Rule("GET", "/admin/accounts/*/blocked/*", SUPERVISORS),
    Rule("PUT", "/admin/accounts/*/blocked/*", SUPERVISORS),
    Rule("DELETE", "/admin/accounts/*/blocked/*", SUPERVISORS),
    Rule("GET", "/admin/teams", SUPERVISORS),
    Rule("GET", "/admin/teams/*", SUPERVISORS),
    Rule("GET", "/admin/settings", SUPERVISORS),
    Rule("GET", "/admin/reports/*", SUPERVISORS),
    Rule("GET", "/admin/reports/jobs/*", SUPERVISORS),
    # An export only reads (it starts an Athena query): the read scope opens it.
    Rule("POST", "/admin/exports", SUPERVISORS, reads=True),
    # A WebSocket ticket is a person's: any signed-in user, no machine.
    Rule("POST", "/realtime/tickets", SIGNED_IN, machines=False),
)
ADMIN_ONLY = Rule("*", "*", ADMINS)


def rule_for(method: str, path: str) -> Rule:
    method = method.upper()
    return next((rule for rule in RULES if rule.matches(method, path)), ADMIN_ONLY)


def authorize(caller: Caller, method: str, path: str) -> None:
    """Nothing when `caller` may call `method path`; Forbidden (403) otherwise."""
    rule = rule_for(method, path)
    if caller.kind == "machine":
        if not rule.machines:
            raise Forbidden("this route is for signed-in people, not machine clients")
        needed = SCOPE_READ if method.upper() == "GET" or rule.reads else SCOPE_WRITE
        # The write scope includes reading.
        if needed not in caller.scopes and SCOPE_WRITE not in caller.scopes:
            raise Forbidden(f"this route needs the scope {needed}")
        return
    if not caller.roles & rule.roles:
        allowed = " or ".join(sorted(rule.roles))
        raise Forbidden(f"this route is for {allowed}; you are {caller.role or 'in no group'}")


def acting_agent(caller: Caller) -> str | None:
    """The agent id of a caller who is an agent and nothing more, whom a route shared with supervisors limits to an
    agent's rights (its own interactions, a contact's name and tags); None for everyone else."""
    if caller.kind != "user" or caller.role != "agent":
        return None
    if not caller.agent_id:
        raise Forbidden("this agent user carries no agentId")
    return caller.agent_id
