"""Provider credentials kept in Secrets Manager, read through Powertools parameters (cached, 5 minutes)."""

from __future__ import annotations

from typing import Any

from smschannel.errors import InvalidConfiguration
from smschannel.models import Account

SECRET_MAX_AGE_SECONDS = 300


def load_secret_credentials(secret: str) -> dict[str, str]:
    # Only accounts that keep credentials in Secrets Manager need the parameters utility (and its clients).
    from aws_lambda_powertools.utilities import parameters

    try:
        value: Any = parameters.get_secret(secret, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    except (parameters.exceptions.GetParameterError, parameters.exceptions.TransformParameterError) as exc:
        raise InvalidConfiguration(
            f"credentials secret {secret!r} cannot be read: {exc}", field="credentialsSecret"
        ) from exc
    if not isinstance(value, dict):
        raise InvalidConfiguration(f"credentials secret {secret!r} is not a JSON object", field="credentialsSecret")
    return {str(key): str(item) for key, item in value.items()}


def with_secret_credentials(account: Account) -> Account:
    """The account with its secret's credentials merged in (fields given inline win)."""
    if not account.credentials_secret:
        return account
    merged = {**load_secret_credentials(account.credentials_secret), **account.credentials}
    return account.model_copy(update={"credentials": merged})
