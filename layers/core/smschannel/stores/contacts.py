"""Contacts: one per phone and account, listed through their sharded index partitions."""

from __future__ import annotations

from typing import Any

from smschannel import keys
from smschannel.dynamo import Table
from smschannel.models import Contact


class ContactStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    def get_contact(self, contact_id: str) -> Contact | None:
        item = self.table.get(keys.contact(contact_id), consistent=False)
        return Contact.model_validate(item) if item else None

    def put_contact(self, contact: Contact) -> bool:
        return self.table.put_entity(
            key=keys.contact(contact.id),
            index=keys.contact_index(contact.account_id, contact.phone),
            entity="contact",
            model=contact,
        )

    def edit_contact(self, contact: Contact, fields: set[str]) -> None:
        """Writes only `fields` of the contact (and its keys and updatedAt), creating it when it is new: what others
        write meanwhile (routing's lastAgentId, an admin's notes) is kept."""
        kept = {"id", "account_id", "phone", "created_at", "updated_at", *fields}
        self.table.put_entity(
            key=keys.contact(contact.id),
            index=keys.contact_index(contact.account_id, contact.phone),
            entity="contact",
            model=contact,
            exclude=set(Contact.model_fields) - kept,
        )

    def list_contacts(self, account_id: str, phone: str | None = None) -> list[Contact]:
        items: list[dict[str, Any]] = []
        for shard in range(keys.CONTACT_SHARDS):
            partition = keys.contact_partition(account_id, shard)
            if phone is not None:
                if shard != keys.shard_of(phone, keys.CONTACT_SHARDS):
                    continue
                items += self.table.query_all(
                    keys.GSI1, "gsi1pk", partition, sk_condition=" AND gsi1sk = :s", values={":s": phone}
                )
            else:
                items += self.table.query_all(keys.GSI1, "gsi1pk", partition)
        contacts = self.table.batch_get([{"pk": item["pk"], "sk": item["sk"]} for item in items])
        return sorted((Contact.model_validate(item) for item in contacts), key=lambda contact: contact.phone)
