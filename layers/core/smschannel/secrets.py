"""The stack's own secrets: the admin API's bearer token and the realtime token key derived from it.

The local stack passes the admin token in the environment (ADMIN_TOKEN); in AWS it is an SSM SecureString named by
ADMIN_TOKEN_PARAMETER, read through Powertools parameters and cached for five minutes.
"""

from __future__ import annotations

from smschannel.settings import Settings
from smschannel.tokens import derive_signing_key


def admin_token(settings: Settings) -> str:
    if settings.admin_token:
        return settings.admin_token
    if not settings.admin_token_parameter:
        raise RuntimeError("neither ADMIN_TOKEN nor ADMIN_TOKEN_PARAMETER is set")
    from aws_lambda_powertools.utilities import parameters  # only in AWS, where the token lives in SSM

    return str(parameters.get_parameter(settings.admin_token_parameter, decrypt=True, max_age=300))


def token_signing_key(settings: Settings) -> str:
    """The HS256 key of agent and supervisor tokens: rotating the admin token rotates it (old tokens stop working)."""
    return derive_signing_key(admin_token(settings))
