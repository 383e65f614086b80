"""Provider adapters by the provider's lower-case name: a new provider is one module plus one line here."""

from __future__ import annotations

from smschannel.errors import InvalidConfiguration
from smschannel.providers.aws import AwsAdapter
from smschannel.providers.bandwidth import BandwidthAdapter
from smschannel.providers.base import ProviderAdapter
from smschannel.providers.clickatell import ClickatellAdapter
from smschannel.providers.clicksend import ClickSendAdapter
from smschannel.providers.generic import GenericAdapter
from smschannel.providers.infobip import InfobipAdapter
from smschannel.providers.messagebird import MessageBirdAdapter
from smschannel.providers.plivo import PlivoAdapter
from smschannel.providers.sinch import SinchAdapter
from smschannel.providers.telnyx import TelnyxAdapter
from smschannel.providers.twilio import TwilioAdapter
from smschannel.providers.vonage import VonageAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    adapter.name: adapter
    for adapter in (
        TwilioAdapter(),
        VonageAdapter(),
        PlivoAdapter(),
        TelnyxAdapter(),
        GenericAdapter(),
        SinchAdapter(),
        InfobipAdapter(),
        BandwidthAdapter(),
        MessageBirdAdapter(),
        AwsAdapter(),
        ClickSendAdapter(),
        ClickatellAdapter(),
    )
}


def get_adapter(provider: str) -> ProviderAdapter:
    try:
        return ADAPTERS[provider]
    except KeyError:
        raise InvalidConfiguration(
            f"unknown provider {provider!r}; one of {sorted(ADAPTERS)}", field="provider"
        ) from None
