"""The names of everything one deployment creates, derived from its resource token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Named(Protocol):
    """What names derive from (a ``Config``): its resource token and region."""

    @property
    def token(self) -> str: ...

    @property
    def location(self) -> str: ...

# One private DNS zone per private-link service the deployment reaches (reference-inventory §1.4); the
# Container Apps zone is regional. Each is created once, linked to the VNet once.
DNS_ZONES = {
    "container_apps": "privatelink.{location}.azurecontainerapps.io",
    "postgres": "privatelink.postgres.database.azure.com",
    "key_vault": "privatelink.vaultcore.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "cosmos": "privatelink.documents.azure.com",
    "search": "privatelink.search.windows.net",
    "ai_services": "privatelink.services.ai.azure.com",
    "openai": "privatelink.openai.azure.com",
    "cognitive_services": "privatelink.cognitiveservices.azure.com",
    # Azure Managed Redis (Microsoft.Cache/redisEnterprise, group id redisEnterprise); Azure Cache for Redis's
    # would be privatelink.redis.cache.windows.net (Learn "Azure Private Endpoint private DNS zone values").
    "redis": "privatelink.redis.azure.net",
}
# Zones wanted only when the resource behind them is deployed (steps/__init__.py).
OPTIONAL_DNS_ZONES = frozenset({"redis"})
SUBNETS = {
    "agent": "snet-agent",
    "private_endpoint": "snet-private-endpoints",
    "container_apps": "snet-container-apps",
    "app_gateway": "snet-app-gateway",
}


@dataclass(frozen=True)
class Names:
    token: str
    location: str

    @classmethod
    def of(cls, config: Named) -> Names:
        return cls(token=config.token, location=config.location)

    @property
    def vnet(self) -> str:
        return f"vnet-{self.token}"

    @property
    def nsg_default(self) -> str:
        return f"nsg-{self.token}-default"

    @property
    def nsg_app_gateway(self) -> str:
        return f"nsg-{self.token}-appgw"

    @property
    def log_analytics(self) -> str:
        return f"log-{self.token}"

    @property
    def app_insights(self) -> str:
        return f"appi-{self.token}"

    @property
    def identity_gateway(self) -> str:
        return f"id-{self.token}-gateway"

    @property
    def identity_foundry(self) -> str:
        return f"id-{self.token}-foundry"

    def identity_project(self, index: int) -> str:
        return f"id-{self.token}-project-{index}"

    @property
    def key_vault(self) -> str:
        return f"kv-{self.token}"

    @property
    def storage(self) -> str:
        return f"st{self.token}"

    @property
    def cosmos(self) -> str:
        return f"cosmos-{self.token}"

    @property
    def search(self) -> str:
        return f"srch-{self.token}"

    @property
    def postgres(self) -> str:
        return f"psql-{self.token}"

    @property
    def foundry_account(self) -> str:
        return f"ai-foundry-{self.token}"

    def project(self, index: int) -> str:
        return f"ai-project-{index}"

    @property
    def redis(self) -> str:
        return f"redis-{self.token}"

    @property
    def container_apps_environment(self) -> str:
        return f"cae-{self.token}"

    @property
    def litellm_app(self) -> str:
        return f"ca-litellm-{self.token}"

    @property
    def public_ip(self) -> str:
        return f"pip-{self.token}-appgw"

    @property
    def dns_label(self) -> str:
        return f"litellm-{self.token}"

    @property
    def app_gateway(self) -> str:
        return f"agw-{self.token}"

    def private_endpoint(self, target: str) -> str:
        return f"pe-{target.replace('_', '-')}-{self.token}"

    def dns_zone(self, key: str) -> str:
        return DNS_ZONES[key].format(location=self.location)

    def dns_link(self, key: str) -> str:
        return f"link-{key.replace('_', '-')}-{self.token}"

    def all(self, projects: int) -> list[tuple[str, str]]:
        """(naming-rule kind, name) for every name, so bad names are refused before any request."""
        names = [
            ("virtual_network", self.vnet),
            ("network_security_group", self.nsg_default),
            ("network_security_group", self.nsg_app_gateway),
            ("log_analytics", self.log_analytics),
            ("application_insights", self.app_insights),
            ("managed_identity", self.identity_gateway),
            ("managed_identity", self.identity_foundry),
        ]
        names += [("managed_identity", self.identity_project(i)) for i in range(1, projects + 1)]
        names += [("subnet", name) for name in SUBNETS.values()]
        names += [("key_vault", self.key_vault), ("storage_account", self.storage),
                  ("cosmos_account", self.cosmos), ("search_service", self.search),
                  ("postgres_server", self.postgres), ("cognitive_account", self.foundry_account),
                  ("redis_cluster", self.redis)]
        names += [("foundry_project", self.project(i)) for i in range(1, projects + 1)]
        names += [("container_app_environment", self.container_apps_environment),
                  ("container_app", self.litellm_app), ("public_ip", self.public_ip),
                  ("dns_label", self.dns_label), ("application_gateway", self.app_gateway)]
        return names
