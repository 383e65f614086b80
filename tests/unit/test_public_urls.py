"""The URL a provider signed, rebuilt behind API Gateway stages, custom domains and overrides."""

from __future__ import annotations

from smschannel.edge import public_urls
from tests.conftest import http_event


def test_default_stage_url_is_host_and_raw_path() -> None:
    event = http_event("POST", "/webhooks/a1", host="sms.example.com")
    assert public_urls(event)[0] == "https://sms.example.com/webhooks/a1"


def test_named_stage_in_the_path_is_tried_with_and_without_the_stage() -> None:
    event = http_event("POST", "/prod/webhooks/a1", stage="prod")
    urls = public_urls(event)
    assert "https://abc123.execute-api.us-east-1.amazonaws.com/prod/webhooks/a1" in urls
    assert "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/a1" in urls


def test_query_string_is_part_of_the_signed_url() -> None:
    event = http_event("POST", "/webhooks/a1", query={"secret": "s1"})
    assert public_urls(event)[0].endswith("/webhooks/a1?secret=s1")


def test_account_override_comes_first_then_the_stack_public_base() -> None:
    event = http_event("POST", "/webhooks/a1")
    urls = public_urls(event, "https://cdn.example.com/sms/webhooks/a1", "https://api.example.com/v1")
    assert urls[:2] == ("https://cdn.example.com/sms/webhooks/a1", "https://api.example.com/v1/webhooks/a1")
