"""The single table's key design, in one place: every partition/sort key and index key is built here.

Table `pk`/`sk`, stream NEW_AND_OLD_IMAGES, TTL attribute `expiresAt`.

| item                 | pk                              | sk                          | gsi1pk / gsi1sk                                   | gsi2pk / gsi2sk               |
|----------------------|---------------------------------|-----------------------------|---------------------------------------------------|-------------------------------|
| account              | ACCOUNT#{id}                    | ACCOUNT                     | ACCOUNTS / {id}                                   |                               |
| trigger              | ACCOUNT#{accountId}             | TRIGGER#{id}                |                                                   |                               |
| queue                | QUEUE#{id}                      | QUEUE                       | QUEUES / {id}                                     |                               |
| agent                | AGENT#{id}                      | AGENT                       | AGENTS / {id}                                     |                               |
| contact              | CONTACT#{id}                    | CONTACT                     | CONTACTS#{accountId}#{shard} / {phone}            |                               |
| open session         | SESSION#{accountId}#{phone}     | SESSION                     |                                                   |                               |
| interaction          | INTERACTION#{id}                | INTERACTION                 | INTERACTIONS#{accountId}#{status}#{shard} / {createdAt}#{id} | PHONE#{accountId}#{phone} / {createdAt} |
| message              | INTERACTION#{interactionId}     | MESSAGE#{createdAt}#{id}    |                                                   |                               |
| provider message id  | PROVIDERMSG#{accountId}#{pmid}  | PROVIDERMSG                 |                                                   |                               |
| concatenated SMS part| PARTS#{accountId}#{phone}#{ref} | PART#{number:03d}           |                                                   |                               |
| queue routing pointer| QUEUE#{id}                      | ROUTING                     |                                                   |                               |
| team                 | TEAM#{id}                       | TEAM                        | TEAMS / {id}                                      |                               |
| settings             | SETTINGS                        | SETTINGS                    |                                                   |                               |
| blocked number       | BLOCKED#{accountId}             | {phone}                     |                                                   |                               |
| audit entry          | AUDIT                           | {at}#{id}                   |                                                   |                               |
| WebSocket ticket     | TICKET#{sha256 of the ticket}   | TICKET                      |                                                   |                               |

Routing index gsi3 (`queuePartition` / `queueSort`, sparse; see the routing section at the end of this file):
an open interaction waiting in a queue is at `QUEUE#{queueId}#WAITING#{shard}` / `{createdAt}#{id}`, an assigned
one at `AGENT#{agentId}#OPEN` / `{assignedAt}#{id}`; closing it removes both attributes.

Why it scales for one busy account: the per-phone session item, the interaction and its messages are keyed by
phone or interaction, so a burst spreads over as many partitions as there are interactions. The only
account-wide keys are index keys written when an interaction opens or closes (never per message: the index is
KEYS_ONLY and its keys do not change on a join), and they are sharded `INTERACTION_SHARDS` ways.
"""

from __future__ import annotations

import hashlib

INTERACTION_SHARDS = 32
CONTACT_SHARDS = 32

GSI1 = "gsi1"
GSI2 = "gsi2"


def shard_of(identifier: str, shards: int) -> int:
    return int(hashlib.sha1(identifier.encode(), usedforsecurity=False).hexdigest()[:8], 16) % shards


def account(account_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": "ACCOUNT"}


def account_index(account_id: str) -> dict[str, str]:
    return {"gsi1pk": "ACCOUNTS", "gsi1sk": account_id}


def trigger(account_id: str, trigger_id: str) -> dict[str, str]:
    return {"pk": f"ACCOUNT#{account_id}", "sk": f"TRIGGER#{trigger_id}"}


TRIGGER_PREFIX = "TRIGGER#"


def queue(queue_id: str) -> dict[str, str]:
    return {"pk": f"QUEUE#{queue_id}", "sk": "QUEUE"}


def queue_index(queue_id: str) -> dict[str, str]:
    return {"gsi1pk": "QUEUES", "gsi1sk": queue_id}


def agent(agent_id: str) -> dict[str, str]:
    return {"pk": f"AGENT#{agent_id}", "sk": "AGENT"}


def agent_index(agent_id: str) -> dict[str, str]:
    return {"gsi1pk": "AGENTS", "gsi1sk": agent_id}


def team(team_id: str) -> dict[str, str]:
    return {"pk": f"TEAM#{team_id}", "sk": "TEAM"}


def team_index(team_id: str) -> dict[str, str]:
    return {"gsi1pk": "TEAMS", "gsi1sk": team_id}


def settings() -> dict[str, str]:
    """The center-wide settings (pause reasons): one item."""
    return {"pk": "SETTINGS", "sk": "SETTINGS"}


def blocked_partition(account_id: str) -> str:
    return f"BLOCKED#{account_id}"


def blocked(account_id: str, phone: str) -> dict[str, str]:
    """One blocked number of an account; the account's block list is one partition (rare writes, one read a new
    conversation)."""
    return {"pk": blocked_partition(account_id), "sk": phone}


def contact_id(account_id: str, phone: str) -> str:
    """Deterministic, so concurrent first messages from one phone upsert the same contact."""
    return "ct-" + hashlib.sha256(f"{account_id}|{phone}".encode()).hexdigest()[:24]


def contact(contact_id_: str) -> dict[str, str]:
    return {"pk": f"CONTACT#{contact_id_}", "sk": "CONTACT"}


def contact_index(account_id: str, phone: str) -> dict[str, str]:
    return {"gsi1pk": contact_partition(account_id, shard_of(phone, CONTACT_SHARDS)), "gsi1sk": phone}


def contact_partition(account_id: str, shard: int) -> str:
    return f"CONTACTS#{account_id}#{shard}"


def session(account_id: str, phone: str) -> dict[str, str]:
    return {"pk": f"SESSION#{account_id}#{phone}", "sk": "SESSION"}


INTERACTION_PREFIX = "INTERACTION#"


def interaction(interaction_id: str) -> dict[str, str]:
    return {"pk": f"{INTERACTION_PREFIX}{interaction_id}", "sk": "INTERACTION"}


def parse_interaction_pk(pk: str) -> str:
    """The interaction id of an item in an interaction's partition (the interaction, its messages)."""
    return pk.removeprefix(INTERACTION_PREFIX)


def interaction_partition(account_id: str, status: str, shard: int) -> str:
    return f"INTERACTIONS#{account_id}#{status}#{shard}"


def interaction_index(account_id: str, status: str, interaction_id: str, created_at: str) -> dict[str, str]:
    return {
        "gsi1pk": interaction_partition(account_id, status, shard_of(interaction_id, INTERACTION_SHARDS)),
        "gsi1sk": f"{created_at}#{interaction_id}",
    }


def phone_index(account_id: str, phone: str, created_at: str) -> dict[str, str]:
    return {"gsi2pk": phone_partition(account_id, phone), "gsi2sk": created_at}


def phone_partition(account_id: str, phone: str) -> str:
    return f"PHONE#{account_id}#{phone}"


MESSAGE_PREFIX = "MESSAGE#"


def message(interaction_id: str, created_at: str, message_id: str) -> dict[str, str]:
    return {"pk": f"INTERACTION#{interaction_id}", "sk": f"{MESSAGE_PREFIX}{created_at}#{message_id}"}


def inbound_message_id(account_id: str, provider_message_id: str) -> str:
    """Deterministic, so a provider's retry maps onto the message it already delivered."""
    return "msg-" + hashlib.sha256(f"{account_id}|{provider_message_id}".encode()).hexdigest()[:24]


def provider_message(account_id: str, provider_message_id: str) -> dict[str, str]:
    return {"pk": f"PROVIDERMSG#{account_id}#{provider_message_id}", "sk": "PROVIDERMSG"}


def message_parts(account_id: str, phone: str, reference: str) -> str:
    return f"PARTS#{account_id}#{phone}#{reference}"


def message_part_sort(number: int) -> str:
    return f"PART#{number:03d}"


# --- routing (queue assignment on the table stream: smschannel.routing) -------------------------------------------
#
# | item / index entry        | pk                          | sk               | gsi3pk = queuePartition / gsi3sk = queueSort      |
# |---------------------------|-----------------------------|------------------|---------------------------------------------------|
# | queue routing pointer     | QUEUE#{queueId}             | ROUTING          |                                                   |
# | interaction, waiting      | (interaction)               | (interaction)    | QUEUE#{queueId}#WAITING#{shard} / {createdAt}#{id} |
# | interaction, assigned     | (interaction)               | (interaction)    | AGENT#{agentId}#OPEN / {assignedAt}#{id}          |
#
# GSI3 is sparse (an interaction is in it only while open in the routing flow, as a waiter of one queue or as one of
# its agent's open interactions) and projects only what assignment needs. `close_interaction` REMOVEs
# queuePartition/queueSort, so a closed interaction leaves the index in the write that closes it. The waiting list
# of one queue is spread over WAITING_SHARDS partitions by interaction id: a burst of new conversations enqueues
# and dequeues each waiter once, and the shards keep every index partition far under ~1,000 writes/s (see
# docs/routing.md). Readers merge the shards' heads by queueSort to serve the oldest first.

WAITING_SHARDS = 32

GSI3 = "gsi3"
ROUTING_PARTITION = "queuePartition"
ROUTING_SORT = "queueSort"


def queue_pointer(queue_id: str) -> dict[str, str]:
    """Round-robin memory of one queue, apart from its configuration item so admin writes never collide with it."""
    return {"pk": f"QUEUE#{queue_id}", "sk": "ROUTING"}


def waiting_partition(queue_id: str, shard: int) -> str:
    return f"QUEUE#{queue_id}#WAITING#{shard}"


def routing_sort(at: str, interaction_id: str) -> str:
    """A routing index entry's sort key: creation (waiting) or assignment (an agent's) time, then the id."""
    return f"{at}#{interaction_id}"


def parse_routing_sort(sort: str) -> tuple[str, str]:
    """(time, interaction id) of a routing index sort key."""
    at, _, interaction_id = sort.rpartition("#")
    return at, interaction_id


def waiting_index(queue_id: str, interaction_id: str, created_at: str) -> dict[str, str]:
    """Arrival order is the interaction's creation, so a waiter keeps its place when it overflows or is requeued."""
    return {
        ROUTING_PARTITION: waiting_partition(queue_id, shard_of(interaction_id, WAITING_SHARDS)),
        ROUTING_SORT: routing_sort(created_at, interaction_id),
    }


def agent_open_partition(agent_id: str) -> str:
    return f"AGENT#{agent_id}#OPEN"


def agent_open_index(agent_id: str, interaction_id: str, assigned_at: str) -> dict[str, str]:
    return {ROUTING_PARTITION: agent_open_partition(agent_id), ROUTING_SORT: routing_sort(assigned_at, interaction_id)}


# --- outbound (replies to the customer: smschannel.outbound) and opt-outs (smschannel.optouts) ---------------------
#
# | item / index entry        | pk                                   | sk            | gsi4pk = outboxPartition / gsi4sk = outboxSort |
# |---------------------------|--------------------------------------|---------------|-----------------------------------------------|
# | outbound message          | INTERACTION#{interactionId}          | MESSAGE#{createdAt}#{id} | OUTBOX#{shard} / {createdAt}#{id} while queued |
# | client message id pointer | CLIENTMSG#{interactionId}#{clientId} | CLIENTMSG     |                                               |
# | sent, status to poll      | (outbound message)                   | (message)     | POLL#{shard} / {nextPollAt}#{id} (providers without receipts) |
# | opt-out                   | OPTOUT#{accountId}                   | {phone}       |                                               |
# | send-rate window          | RATE#{accountId}                     | {epochSecond} |                                               |
#
# An outbound message id is derived from its interaction and client message id, so a retried reply maps onto the
# message it already stored (and SQS FIFO deduplicates on it). GSI4 is sparse: a reply is in it only while it is
# `queued`, which is what the sweep re-drives when the stream-driven enqueue was lost; the send removes it. The
# opt-out list of one account is one partition (opt-outs are rare writes; a reply reads one item).

OUTBOX_SHARDS = 8

GSI4 = "gsi4"
OUTBOX_PARTITION = "outboxPartition"
OUTBOX_SORT = "outboxSort"


def outbound_message_id(interaction_id: str, client_message_id: str) -> str:
    return "out-" + hashlib.sha256(f"{interaction_id}|{client_message_id}".encode()).hexdigest()[:24]


def client_message(interaction_id: str, client_message_id: str) -> dict[str, str]:
    return {"pk": f"CLIENTMSG#{interaction_id}#{client_message_id}", "sk": "CLIENTMSG"}


def outbox_partition(shard: int) -> str:
    return f"OUTBOX#{shard}"


def outbox_index(message_id: str, created_at: str) -> dict[str, str]:
    return {
        OUTBOX_PARTITION: outbox_partition(shard_of(message_id, OUTBOX_SHARDS)),
        OUTBOX_SORT: f"{created_at}#{message_id}",
    }


def parse_outbox_sort(sort: str) -> tuple[str, str]:
    """(time, message id) of an outbox or poll index sort key."""
    at, _, message_id = sort.rpartition("#")
    return at, message_id


def poll_partition(shard: int) -> str:
    return f"POLL#{shard}"


def poll_index(message_id: str, next_poll_at: str) -> dict[str, str]:
    """A sent message whose provider posts no receipt, due for a status query at `next_poll_at`."""
    return {
        OUTBOX_PARTITION: poll_partition(shard_of(message_id, OUTBOX_SHARDS)),
        OUTBOX_SORT: f"{next_poll_at}#{message_id}",
    }


def optout_partition(account_id: str) -> str:
    return f"OPTOUT#{account_id}"


def optout(account_id: str, phone: str) -> dict[str, str]:
    return {"pk": optout_partition(account_id), "sk": phone}


def send_rate(account_id: str, second: int) -> dict[str, str]:
    return {"pk": f"RATE#{account_id}", "sk": str(second)}


# --- triggers (smschannel.triggers) -------------------------------------------------------------------------------
#
# | item                         | pk                                      | sk                          |
# |------------------------------|-----------------------------------------|-----------------------------|
# | trigger (above)              | ACCOUNT#{accountId}                     | TRIGGER#{id}                |
# | trigger run (TTL)            | TRIGGERRUNS#{accountId}#{triggerId}     | {position}#{eventId}        |
# | once-per-interaction marker  | INTERACTION#{interactionId}             | TRIGGERONCE#{triggerId}     |
# | auto-reply rate window (TTL) | AUTOREPLY#{accountId}#{phone}           | WINDOW#{windowStart}        |
#
# A run is keyed by the stream record that fired it (its write time and sequence number as `position`, so runs
# list in order, and its event id: all stable when the stream redelivers), so the run item doubles as the idempotency claim: a conditional put decides who fires. Runs of one
# trigger share a partition, newest last; the once marker lives in the interaction's partition (queries of its
# messages ask for MESSAGE# only); the rate window is per customer phone, so a burst spreads by phone.


def trigger_runs_partition(account_id: str, trigger_id: str) -> str:
    return f"TRIGGERRUNS#{account_id}#{trigger_id}"


def trigger_run(account_id: str, trigger_id: str, position: str, event_id: str) -> dict[str, str]:
    return {"pk": trigger_runs_partition(account_id, trigger_id), "sk": f"{position}#{event_id}"}


def stream_position(written_at: str, sequence_number: str) -> str:
    """Sorts as the stream wrote: the write time (seconds), then the shard's sequence number (digits, padded)."""
    return f"{written_at}#{sequence_number.zfill(40)}"


def trigger_once(interaction_id: str, trigger_id: str) -> dict[str, str]:
    return {"pk": f"INTERACTION#{interaction_id}", "sk": f"TRIGGERONCE#{trigger_id}"}


def auto_reply_window(account_id: str, phone: str, window_start: int) -> dict[str, str]:
    return {"pk": f"AUTOREPLY#{account_id}#{phone}", "sk": f"WINDOW#{window_start}"}


# --- realtime (WebSocket connections and the supervisor dashboard: smschannel.realtime) ---------------------------
#
# | item                          | pk                 | sk                              | notes                           |
# |-------------------------------|--------------------|---------------------------------|---------------------------------|
# | agent's WebSocket connection  | AGENT#{agentId}    | CONNECTION#{connectionId}       | TTL expiresAt; beside the agent |
# | supervisor's connection       | SUPERVISORS        | CONNECTION#{connectionId}       | TTL; `subscribed` once it asks  |
# | dashboard counters of a queue | DASHBOARD          | QUEUE#{queueId}                 | open, waiting map, answered     |
# | dashboard counters of account | DASHBOARD          | ACCOUNT#{accountId}             | open                            |
# | agent's status clock          | DASHBOARD          | AGENT#{agentId}                 | status, statusSince             |
# | live feed entry               | DASHBOARD#FEED     | {createdAt}#{messageId}         | TTL one day                     |
# | queue tile of a local day     | TILES#DAY#{date}   | {queueId}#{accountId}           | ADD counters; TTL 8 days        |
# | queue tile of a half hour     | TILES#HALF#{start} | {queueId}#{accountId}           | ADD counters; TTL 2 days        |
#
# The tiles (smschannel.realtime.tiles) count closed interactions per queue and account: by the account's local
# date of the close (the reports' `dt`), and by the UTC half hour it closed in (`start` as 2026-03-01T10:30Z). One
# partition per day (and per half hour) holds every queue's, so a snapshot reads today's with one Query; an update
# reads one queue's with a `begins_with` on its id.
# An agent's connections are one strongly consistent Query of the agent's own partition (an agent has a handful:
# tabs, phone, desk), so the fan-out finds them without an index. The dashboard items are written only by the
# fan-out (one writer per shard), so they carry no `entity` and never match a stream filter.

CONNECTION_PREFIX = "CONNECTION#"
SUPERVISORS_PARTITION = "SUPERVISORS"
DASHBOARD_PARTITION = "DASHBOARD"
FEED_PARTITION = "DASHBOARD#FEED"


def agent_connection(agent_id: str, connection_id: str) -> dict[str, str]:
    return {"pk": agent(agent_id)["pk"], "sk": f"{CONNECTION_PREFIX}{connection_id}"}


def supervisor_connection(connection_id: str) -> dict[str, str]:
    return {"pk": SUPERVISORS_PARTITION, "sk": f"{CONNECTION_PREFIX}{connection_id}"}


DASHBOARD_QUEUE = "QUEUE"
DASHBOARD_ACCOUNT = "ACCOUNT"
DASHBOARD_AGENT = "AGENT"


def dashboard_queue(queue_id: str) -> dict[str, str]:
    return {"pk": DASHBOARD_PARTITION, "sk": f"{DASHBOARD_QUEUE}#{queue_id}"}


def dashboard_account(account_id: str) -> dict[str, str]:
    return {"pk": DASHBOARD_PARTITION, "sk": f"{DASHBOARD_ACCOUNT}#{account_id}"}


def dashboard_agent(agent_id: str) -> dict[str, str]:
    return {"pk": DASHBOARD_PARTITION, "sk": f"{DASHBOARD_AGENT}#{agent_id}"}


def parse_dashboard_sort(sort: str) -> tuple[str, str]:
    """(kind, id) of a dashboard item's sort key: kind DASHBOARD_QUEUE, _ACCOUNT or _AGENT ("" for others)."""
    kind, separator, identifier = sort.partition("#")
    if separator and kind in (DASHBOARD_QUEUE, DASHBOARD_ACCOUNT, DASHBOARD_AGENT):
        return kind, identifier
    return "", sort


def feed_entry(created_at: str, message_id: str) -> dict[str, str]:
    return {"pk": FEED_PARTITION, "sk": f"{created_at}#{message_id}"}


def tiles_day_partition(local_date: str) -> str:
    return f"TILES#DAY#{local_date}"


def tiles_half_hour_partition(start: str) -> str:
    return f"TILES#HALF#{start}"


def tile_sort_prefix(queue_id: str) -> str:
    """What every tile item of one queue's sort key starts with (its items of a day or half hour, per account)."""
    return f"{queue_id}#"


def tile(partition: str, queue_id: str, account_id: str) -> dict[str, str]:
    return {"pk": partition, "sk": f"{tile_sort_prefix(queue_id)}{account_id}"}


# --- identity: the audit trail and WebSocket tickets ----------------------------------------------------------
# Admin changes are rare (people configuring), so the trail is one partition read newest first; a ticket is keyed
# by its hash, so the table never holds a usable one.

AUDIT_PARTITION = "AUDIT"


def audit_entry(at: str, entry_id: str) -> dict[str, str]:
    return {"pk": AUDIT_PARTITION, "sk": f"{at}#{entry_id}"}


def ticket(digest: str) -> dict[str, str]:
    return {"pk": f"TICKET#{digest}", "sk": "TICKET"}


# --- the agents' floor: canned replies and the search index (smschannel.floor) -----------------------------------
#
# | item / index entry        | pk                          | sk        | gsi1pk / gsi1sk   | gsi5pk = searchPartition / gsi5sk = searchSort |
# |---------------------------|-----------------------------|-----------|-------------------|------------------------------------------------|
# | canned reply              | RESPONSE#{id}               | RESPONSE  | RESPONSES / {id}  |                                                |
# | interaction (above)       | INTERACTION#{id}            | INTERACTION |                 | SEARCH#{accountId}#{yyyy-mm}#{shard} / {createdAt}#{id} |
# | note (a message)          | INTERACTION#{interactionId} | MESSAGE#{createdAt}#{id} |    |                                                |
#
# Canned replies are few (tens to hundreds for a center), read as one index partition like queues. The search index
# gsi5 holds every interaction once, written when it opens and never changed after (KEYS_ONLY, keys set once), so it
# costs one index write per new conversation and nothing per message. Its partitions are one account's month, split
# SEARCH_SHARDS ways by interaction id so a burst of new conversations of one account stays under an index
# partition's write rate; a search reads one month's shards newest first (docs/api.md "Search").

SEARCH_SHARDS = 4

GSI5 = "gsi5"
SEARCH_PARTITION = "searchPartition"
SEARCH_SORT = "searchSort"


def response(response_id: str) -> dict[str, str]:
    return {"pk": f"RESPONSE#{response_id}", "sk": "RESPONSE"}


def response_index(response_id: str) -> dict[str, str]:
    return {"gsi1pk": RESPONSES_PARTITION, "gsi1sk": response_id}


RESPONSES_PARTITION = "RESPONSES"


def search_partition(account_id: str, month: str, shard: int) -> str:
    """`month` is `yyyy-mm` of the interaction's createdAt."""
    return f"SEARCH#{account_id}#{month}#{shard}"


def search_index(account_id: str, interaction_id: str, created_at: str) -> dict[str, str]:
    return {
        SEARCH_PARTITION: search_partition(account_id, created_at[:7], shard_of(interaction_id, SEARCH_SHARDS)),
        SEARCH_SORT: f"{created_at}#{interaction_id}",
    }


def parse_search_sort(sort: str) -> tuple[str, str]:
    """(createdAt, interaction id) of a search index sort key."""
    at, _, interaction_id = sort.rpartition("#")
    return at, interaction_id
