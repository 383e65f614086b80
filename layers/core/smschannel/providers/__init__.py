"""Provider adapters by the provider's lower-case name: a new provider is one module plus one line here.

An adapter's module is imported the first time its provider is used, so a function's cold start pays only for
the providers its accounts use (the AWS and Telnyx adapters import `cryptography`, which alone costs ~0.3 s).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from smschannel.errors import InvalidConfiguration
from smschannel.providers.base import ProviderAdapter

# provider name -> "module:AdapterClass" under smschannel.providers
REGISTRY: dict[str, str] = {
    "twilio": "twilio:TwilioAdapter",
    "vonage": "vonage:VonageAdapter",
    "plivo": "plivo:PlivoAdapter",
    "telnyx": "telnyx:TelnyxAdapter",
    "generic": "generic:GenericAdapter",
    "sinch": "sinch:SinchAdapter",
    "infobip": "infobip:InfobipAdapter",
    "bandwidth": "bandwidth:BandwidthAdapter",
    "messagebird": "messagebird:MessageBirdAdapter",
    "aws": "aws:AwsAdapter",
    "clicksend": "clicksend:ClickSendAdapter",
    "clickatell": "clickatell:ClickatellAdapter",
    "intelepeer": "intelepeer:IntelePeerAdapter",
    "skebby": "skebby:SkebbyAdapter",
}


class _Adapters(Mapping[str, ProviderAdapter]):
    """The registry as a read-only mapping of adapter instances, each created on first access."""

    def __init__(self, registry: dict[str, str]) -> None:
        self._registry = registry
        self._loaded: dict[str, ProviderAdapter] = {}

    def __getitem__(self, name: str) -> ProviderAdapter:
        if name not in self._loaded:
            module_name, class_name = self._registry[name].split(":")
            module = importlib.import_module(f"{__name__}.{module_name}")
            adapter = getattr(module, class_name)()
            assert adapter.name == name, f"registry line for {name!r} names the {adapter.name!r} adapter"
            self._loaded[name] = adapter
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry)

    def __len__(self) -> int:
        return len(self._registry)


ADAPTERS: Mapping[str, ProviderAdapter] = _Adapters(REGISTRY)


def get_adapter(provider: str) -> ProviderAdapter:
    try:
        return ADAPTERS[provider]
    except KeyError:
        raise InvalidConfiguration(
            f"unknown provider {provider!r}; one of {sorted(ADAPTERS)}", field="provider"
        ) from None
