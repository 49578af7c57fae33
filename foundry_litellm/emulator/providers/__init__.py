"""All resource types the emulator knows, registered in one place."""

from __future__ import annotations

from ..provider import ProviderRegistry
from . import (
    appgateway,
    authorization,
    cognitive,
    containerapps,
    cosmos,
    cosmos_rbac,
    identity,
    keyvault,
    monitor,
    network,
    postgres,
    privatedns,
    privateendpoint,
    redis,
    resources,
    search,
    storage,
    storage_blob,
)

_MODULES = (resources, network, privatedns, identity, monitor, keyvault, storage, storage_blob, cosmos, search,
            postgres, privateendpoint, authorization, cognitive, cosmos_rbac, containerapps, appgateway,
            redis)


def registry() -> ProviderRegistry:
    reg = ProviderRegistry()
    for module in _MODULES:
        for provider in module.PROVIDERS:
            reg.add(provider)
    return reg
