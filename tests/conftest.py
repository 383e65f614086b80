"""Shared fixtures: moto tables built from template.yaml itself, handlers imported as Lambda imports them."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "core"))
sys.path.insert(0, str(ROOT))

ADMIN_TOKEN = "test-admin-token"
EVENTS = Path(__file__).parent / "events"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, ...) as plain {tag: value} data."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=_CfnLoader)  # noqa: S506


def create_table_from_template(client: Any, table_name: str) -> None:
    """The table exactly as template.yaml declares it (keys, indexes, stream, TTL): tests cannot drift from it."""
    properties = load_template()["Resources"]["Table"]["Properties"]
    client.create_table(
        TableName=table_name,
        BillingMode=properties["BillingMode"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **properties["StreamSpecification"]},
    )
    ttl = properties["TimeToLiveSpecification"]
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": ttl["Enabled"], "AttributeName": ttl["AttributeName"]}
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from moto import mock_aws

    names = {"table": f"test-{uuid.uuid4().hex[:8]}", "bucket": f"archive-{uuid.uuid4().hex[:8]}"}
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TABLE_NAME": names["table"],
        "ARCHIVE_BUCKET": names["bucket"],
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "BREAK_GLASS": "enabled",  # as the local stack: ADMIN_TOKEN opens /admin/* (tests/component/test_identity.py)
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SmsChannelTest",
        "POWERTOOLS_SERVICE_NAME": "test",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    from smschannel.settings import get_settings

    get_settings.cache_clear()
    with mock_aws():
        create_table_from_template(boto3.client("dynamodb"), names["table"])
        boto3.client("s3").create_bucket(Bucket=names["bucket"])
        yield names
    get_settings.cache_clear()


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh (its module-level clients bind to the active moto mock)."""
    path = ROOT / "functions" / name / "app.py"
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))  # its own modules, as /var/task is on Lambda's path
    module_name = f"fn_{name}_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeContext:
    function_name = "test"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    *,
    body: str | bytes | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    route_key: str | None = None,
    base64_body: bool = False,
    host: str = "abc123.execute-api.us-east-1.amazonaws.com",
    stage: str = "$default",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, from the documented sample in tests/events/."""
    event = copy.deepcopy(json.loads((EVENTS / "http_api_v2.json").read_text()))
    if isinstance(body, dict):
        body = json.dumps(body)
        headers = {"content-type": "application/json", **(headers or {})}
    raw = body.encode() if isinstance(body, str) else (body or b"")
    event["headers"].update({key.lower(): value for key, value in (headers or {}).items()})
    event["headers"]["host"] = host
    event["headers"]["content-length"] = str(len(raw))
    event["requestContext"]["domainName"] = host
    event["requestContext"]["stage"] = stage
    event["rawPath"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key or f"{method} {path}"
    event["rawQueryString"] = urlencode(query or {})
    event["queryStringParameters"] = query or None
    if base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = raw.decode(), False
    return event


def call(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
    response = module.lambda_handler(event, FakeContext())
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        parsed: Any = json.loads(body) if body else None
    except ValueError:
        parsed = body
    return response["statusCode"], parsed, response.get("headers") or {}


def admin(
    module: ModuleType, method: str, path: str, body: Any = None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    status, parsed, _ = call(module, http_event(method, path, body=body, headers=headers, query=query))
    return status, parsed
