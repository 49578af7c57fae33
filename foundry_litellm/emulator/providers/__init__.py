"""All resource types the emulator knows, registered in one place."""

from __future__ import annotations

from ..provider import ProviderRegistry
from . import identity, monitor, network, privatedns, resources


def registry() -> ProviderRegistry:
    reg = ProviderRegistry()
    for module in (resources, network, privatedns, identity, monitor):
        for provider in module.PROVIDERS:
            reg.add(provider)
    return reg
