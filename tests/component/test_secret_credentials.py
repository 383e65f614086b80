"""Provider credentials kept in Secrets Manager (account `credentialsSecret`), read through Powertools parameters."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import boto3
from twilio.request_validator import RequestValidator

from tests.conftest import admin, call, http_event, load_function

SID, TOKEN = "AC" + "2" * 32, "token-in-secrets-manager"


def test_account_with_credentials_in_a_secret_verifies_webhooks(aws: dict[str, str]) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="sms-channel/acme-twilio", SecretString=json.dumps({"accountSid": SID, "authToken": TOKEN})
    )
    fn_admin, fn_inbound = load_function("admin"), load_function("inbound")
    body = {
        "name": "Acme",
        "provider": "twilio",
        "phoneNumber": "+15005550006",
        "credentialsSecret": "sms-channel/acme-twilio",
    }
    status, account = admin(fn_admin, "PUT", "/admin/accounts/acme", body)
    assert status == 201 and account["credentials"] == {} and account["credentialsSecret"] == "sms-channel/acme-twilio"

    form = {"MessageSid": "SM1", "AccountSid": SID, "From": "+14155552671", "To": "+15005550006", "Body": "hi"}
    url = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acme"
    headers = {
        "x-twilio-signature": RequestValidator(TOKEN).compute_signature(url, form),
        "content-type": "application/x-www-form-urlencoded",
    }
    status, _, _ = call(fn_inbound, http_event("POST", "/webhooks/acme", body=urlencode(form), headers=headers))
    assert status == 200


def test_a_secret_missing_a_field_or_absent_is_refused_naming_it(aws: dict[str, str]) -> None:
    boto3.client("secretsmanager").create_secret(
        Name="sms-channel/partial", SecretString=json.dumps({"accountSid": SID})
    )
    fn_admin = load_function("admin")
    body = {
        "name": "Acme",
        "provider": "twilio",
        "phoneNumber": "+15005550006",
        "credentialsSecret": "sms-channel/partial",
    }
    status, error = admin(fn_admin, "PUT", "/admin/accounts/acme", body)
    assert status == 422 and error["field"] == "credentials.authToken"
    status, error = admin(fn_admin, "PUT", "/admin/accounts/acme", {**body, "credentialsSecret": "sms-channel/nope"})
    assert status == 422 and error["field"] == "credentialsSecret"
