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

Why it scales for one busy account: the per-phone session item, the interaction and its messages are keyed by
phone or interaction, so a burst spreads over as many partitions as there are conversations. The only
account-wide keys are index keys written when an interaction opens or closes (never per message: the index is
KEYS_ONLY and its keys do not change on a join), and they are sharded `INTERACTION_SHARDS` ways.
"""

from __future__ import annotations

import hashlib

INTERACTION_SHARDS = 16
CONTACT_SHARDS = 8

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


def interaction(interaction_id: str) -> dict[str, str]:
    return {"pk": f"INTERACTION#{interaction_id}", "sk": "INTERACTION"}


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
