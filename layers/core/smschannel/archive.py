"""Webhooks we could not process, kept whole in S3 with the reason, so ops can replay them."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config

from smschannel.aws_clients import s3_client
from smschannel.providers.base import WebhookRequest

ARCHIVE_PREFIX = "webhooks/"


class WebhookArchive:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        # Created on first use: most invocations never archive, and an S3 client costs cold-start time.
        if self._client is None:
            self._client = s3_client(Config(retries={"mode": "standard", "max_attempts": 5}))
        return self._client

    def archive(self, account_id: str, kind: str, request: WebhookRequest, reason: str) -> str:
        """Store the request as received; returns the object key (quoted in logs and in the 400 answer)."""
        now = datetime.now(UTC)
        key = f"{ARCHIVE_PREFIX}{now:%Y/%m/%d}/{account_id}/{kind}/{now:%H%M%S}-{uuid.uuid4().hex}.json"
        record = {
            "accountId": account_id,
            "kind": kind,
            "reason": reason,
            "archivedAt": now.isoformat(),
            "method": request.method,
            "urls": list(request.urls),
            "headers": request.headers,
            "query": request.query,
            "bodyBase64": base64.b64encode(request.body).decode(),
            "sourceIp": request.source_ip,
        }
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(record).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )
        return key

    def load(self, key: str) -> tuple[str, str, WebhookRequest, str]:
        """(account id, kind, request, reason) of an archived webhook, for replay."""
        record = json.loads(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        request = WebhookRequest(
            method=record["method"],
            urls=tuple(record["urls"]),
            headers=record["headers"],
            query=record["query"],
            body=base64.b64decode(record["bodyBase64"]),
            source_ip=record.get("sourceIp"),
        )
        return record["accountId"], record["kind"], request, record["reason"]

    def list_keys(self, prefix: str = ARCHIVE_PREFIX) -> list[str]:
        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys
