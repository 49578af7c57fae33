"""Configuration: one TOML file, the environment and flags, validated before anything is sent to Azure.

Secrets come from the environment only (``OPENAI_API_KEY``); the file may not hold them.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import naming, regions
from .errors import ConfigError
from .names import DNS_ZONES, Names

DEFAULT_CONFIG = Path("foundry-litellm.toml")
# The reference picks 10.0.0.0/20 in these regions and 192.168.0.0/20 elsewhere (vnet.bicep:84-110).
_CLASS_A_REGIONS = frozenset(
    "australiaeast brazilsouth canadaeast eastus eastus2 francecentral germanywestcentral italynorth japaneast "
    "southafricanorth southcentralus southindia spaincentral swedencentral uaenorth uksouth westus westus3 "
    "westeurope".split()
)
# Ranges the platform reserves: Container Apps (172.30/16, 172.31/16, 192.0.2.0/24, 169.254/16; Learn
# "Networking in Azure Container Apps") and the Foundry agent subnet (100.100.0.0/16, foundry-samples PR #256).
_RESERVED = tuple(ipaddress.ip_network(n) for n in
                  ("172.30.0.0/16", "172.31.0.0/16", "192.0.2.0/24", "169.254.0.0/16", "100.100.0.0/16"))
SUBNET_ROLES = ("agent", "private_endpoint", "container_apps", "app_gateway")
_ARM_ACCOUNT_ID = re.compile(
    r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.CognitiveServices/"
    r"accounts/[a-zA-Z0-9][a-zA-Z0-9-]*", re.IGNORECASE)
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DNS_ZONE_ID = re.compile(r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]+/providers/Microsoft\.Network/"
                          r"privateDnsZones/([^/]+)", re.IGNORECASE)


MAX_PROJECTS = 10  # Foundry projects one environment may have

class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AzureSection(_Section):
    subscription_id: str | None = None
    resource_group: str
    location: str
    tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("subscription_id")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is not None and not _GUID.fullmatch(value):
            raise ValueError(f"'{value}' is not a subscription id (a GUID)")
        return value

    @field_validator("location")
    @classmethod
    def _region(cls, value: str) -> str:
        normalized = regions.normalize(value)
        if normalized not in regions.REGIONS:
            raise ValueError(f"unknown Azure region '{value}'")
        return normalized

    @field_validator("resource_group")
    @classmethod
    def _group(cls, value: str) -> str:
        problem = naming.check_name("resource_group", value)
        if problem:
            raise ValueError(problem)
        return value


class NetworkSection(_Section):
    address_space: str | None = None
    agent_subnet: str | None = None
    private_endpoint_subnet: str | None = None
    container_apps_subnet: str | None = None
    app_gateway_subnet: str | None = None
    # Private DNS zones that already exist (a hub's), by zone key: used instead of creating our own, and linked
    # to the VNet unless link_existing_dns_zones is false (the VNet then resolves through the hub's DNS).
    existing_dns_zones: dict[str, str] = Field(default_factory=dict)
    link_existing_dns_zones: bool = True


class MonitoringSection(_Section):
    log_retention_days: Annotated[int, Field(ge=30, le=730)] = 30


class FoundrySection(_Section):
    projects: Annotated[int, Field(ge=1, le=MAX_PROJECTS)] = 3
    public_network_access: Literal["Enabled", "Disabled"] = "Enabled"
    # How long destroy waits for Azure to release the agent subnet after the account is purged: usually
    # 15-60 minutes, occasionally much longer (foundry-samples TESTING-GUIDE, #153).
    subnet_release_timeout_minutes: Annotated[int, Field(ge=60, le=2880)] = 90


class KeyVaultSection(_Section):
    sku: Literal["standard", "premium"] = "standard"
    soft_delete_retention_days: Annotated[int, Field(ge=7, le=90)] = 90
    purge_protection: bool = False


class PostgresSection(_Section):
    # the major versions Azure offers for flexible servers (the 2025-08-01 spec's ServerVersion enum)
    version: Literal["13", "14", "15", "16", "17", "18"] = "16"
    sku: str = "Standard_B1ms"
    tier: Literal["Burstable", "GeneralPurpose", "MemoryOptimized"] = "Burstable"
    storage_gb: Annotated[int, Field(ge=32, le=32768)] = 32
    admin_login: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")] = "litellmadmin"
    entra_auth: bool = False
    threat_protection: bool = False
    min_tls_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"

    @field_validator("admin_login")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        # Azure refuses these administrator names (Learn: "Create an Azure Database for PostgreSQL").
        if value in {"azure_superuser", "azure_pg_admin", "admin", "administrator", "root", "guest", "public"} \
                or value.startswith("pg_"):
            raise ValueError(f"'{value}' is reserved by Azure")
        return value


# A rolling tag can move backwards (BerriAI/litellm#16871: main-stable reverted and broke decryption).
ROLLING_TAGS = frozenset({"latest", "main-stable", "main-latest", "main", "stable", "lts", "nightly", "dev"})
DEFAULT_IMAGE = "ghcr.io/berriai/litellm:v1.108.7"  # the LTS line; the same release the proxy test installs


# An upstream's name becomes part of a Key Vault secret name and of environment variable names.
UPSTREAM_NAME = r"^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$"
DEFAULT_UPSTREAM = "default"  # the implicit upstream of OPENAI_API_BASE / OPENAI_API_KEY
OPENAI_KEY_ENV = "OPENAI_API_KEY"


class UpstreamSection(_Section):
    """An Azure OpenAI account the gateway sends a model's calls to; its key comes from ``key_env``."""

    name: Annotated[str, Field(pattern=UPSTREAM_NAME)]
    base: str
    key_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")]
    resource_id: str | None = None  # the account's ARM id, for a private endpoint to it

    @field_validator("base")
    @classmethod
    def _azure_openai(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme != "https" or not parsed.netloc or parsed.path.strip("/") or parsed.query \
                or parsed.fragment:
            raise ValueError(f"'{value}' must be an https:// URL such as https://my-account.openai.azure.com")
        return value.rstrip("/")

    @field_validator("resource_id")
    @classmethod
    def _account_id(cls, value: str | None) -> str | None:
        if value is not None and not _ARM_ACCOUNT_ID.fullmatch(value):
            raise ValueError(f"'{value}' is not the ARM id of a Cognitive Services account")
        return value


class ModelUpstream(_Section):
    """One upstream of a model, with its routing settings (LiteLLM's per-deployment litellm_params)."""

    name: Annotated[str, Field(pattern=UPSTREAM_NAME)]
    order: Annotated[int | None, Field(ge=1, le=10)] = None  # priority tier: 1 first, the next when it fails
    rpm: Annotated[int | None, Field(ge=1)] = None  # requests per minute, enforced (not only a weight)
    tpm: Annotated[int | None, Field(ge=1)] = None  # tokens per minute, enforced
    weight: Annotated[int | None, Field(ge=1, le=1000)] = None  # share of traffic under simple-shuffle


class ModelSection(_Section):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    deployment: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    api_version: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}(-preview)?$")]
    model: str | None = None  # the upstream model name, when it differs from the deployment's
    upstreams: list[ModelUpstream] | None = None  # None: all of the gateway's
    fallbacks: list[str] = Field(default_factory=list)  # models tried, in order, when every upstream fails

    @field_validator("upstreams", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        # `upstreams = ["east", { name = "west", order = 2 }]`: a bare name is an upstream with no settings.
        if isinstance(value, list):
            return [{"name": u} if isinstance(u, str) else u for u in value]
        return value

    def routes(self, upstreams: list[str]) -> list[ModelUpstream]:
        """This model's upstreams with their settings; ``upstreams`` are the gateway's, for the default."""
        return list(self.upstreams) if self.upstreams is not None else [ModelUpstream(name=n) for n in upstreams]


class RouterSection(_Section):
    """LiteLLM's router_settings (read in litellm 1.108.7's Router.__init__)."""

    strategy: Literal["simple-shuffle", "least-busy", "usage-based-routing-v2", "latency-based-routing"] = \
        "simple-shuffle"
    num_retries: Annotated[int, Field(ge=0, le=10)] = 2  # per call, on another upstream first
    timeout: Annotated[float | None, Field(gt=0, le=86400)] = None  # seconds per call; default request timeout
    allowed_fails: Annotated[int, Field(ge=0, le=1000)] = 3  # failures in a minute before a cooldown
    cooldown_time: Annotated[float, Field(ge=0, le=3600)] = 60  # seconds an upstream is left out


DEFAULT_MODELS = (
    ModelSection(name="azure-gpt-4.1-mini", deployment="gpt-4.1-mini", api_version="2025-01-01-preview"),
    ModelSection(name="azure-gpt-5-mini", deployment="gpt-5-mini", api_version="2025-04-01-preview"),
    ModelSection(name="azure-o3-mini", deployment="o3-mini", api_version="2025-01-01-preview"),
)


class GatewaySection(_Section):
    image: str = DEFAULT_IMAGE
    digest: Annotated[str | None, Field(pattern=r"^sha256:[0-9a-f]{64}$")] = None
    min_replicas: Annotated[int, Field(ge=1, le=30)] = 1
    max_replicas: Annotated[int, Field(ge=1, le=300)] = 3
    cpu: Annotated[float, Field(ge=0.5, le=4.0, multiple_of=0.25)] = 1.0  # memory is twice this, in GiB
    ui_username: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = "admin"
    log_prompts: bool = False
    http_only: bool = False  # keep a plain-HTTP listener as the reference does (not recommended)
    waf: bool = False
    allowed_source_ips: list[str] = Field(default_factory=list)
    request_timeout_seconds: Annotated[int, Field(ge=600, le=86400)] = 600
    certificate_path: str | None = None  # a PFX the user provides; default: one the tool generates
    models: list[ModelSection] = Field(default_factory=lambda: list(DEFAULT_MODELS))
    upstreams: list[UpstreamSection] = Field(default_factory=list)  # empty: OPENAI_API_BASE / OPENAI_API_KEY
    router: RouterSection = Field(default_factory=RouterSection)
    # Azure Managed Redis shared by the replicas (rpm/tpm limits, cooldowns, usage-based routing); also on whenever
    # max_replicas > 1, where each replica would otherwise count alone (``shared_state``).
    redis: bool = False

    @property
    def upstream_names(self) -> list[str]:
        return [u.name for u in self.upstreams] or [DEFAULT_UPSTREAM]

    @property
    def upstream_key_env(self) -> dict[str, str]:
        """Each upstream's name -> the environment variable holding its key."""
        return {u.name: u.key_env for u in self.upstreams} or {DEFAULT_UPSTREAM: OPENAI_KEY_ENV}

    @property
    def shared_state(self) -> bool:
        """Replicas share rpm/tpm counts, cooldowns and usage through Redis: one replica's view is not enough."""
        return self.redis or self.max_replicas > 1

    @field_validator("image")
    @classmethod
    def _pinned(cls, value: str) -> str:
        tag = value.rsplit(":", 1)[1] if ":" in value.rsplit("/", 1)[-1] else ""
        if not tag:
            raise ValueError(f"'{value}' has no tag: pin a release such as {DEFAULT_IMAGE}")
        if tag.lower() in ROLLING_TAGS:
            raise ValueError(f"'{tag}' is a rolling tag that can change under a running deployment; pin a release "
                             f"tag such as {DEFAULT_IMAGE.rsplit(':', 1)[1]}")
        return value

    @field_validator("allowed_source_ips")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError as exc:
                raise ValueError(f"'{value}' is not an IP address or CIDR block") from exc
        return values

    @model_validator(mode="after")
    def _consistent(self) -> GatewaySection:
        if self.max_replicas < self.min_replicas:
            raise ValueError("max_replicas must be at least min_replicas")
        names = [m.name for m in self.models]
        if not names:
            raise ValueError("at least one model is needed")
        if len(set(names)) != len(names):
            raise ValueError("model names must be unique")
        _check_routes(self, names)
        return self


def _check_routes(gateway: GatewaySection, models: list[str]) -> None:
    declared = [u.name for u in gateway.upstreams]
    if len(set(declared)) != len(declared):
        raise ValueError("upstreams: names must be unique")
    if len({u.key_env for u in gateway.upstreams}) != len(declared):
        raise ValueError("upstreams: each upstream needs its own key_env")
    known = gateway.upstream_names
    for model in gateway.models:
        where = f"models.{model.name}"
        routes = [r.name for r in model.routes(known)]
        if not routes:
            raise ValueError(f"{where}.upstreams: at least one upstream is needed")
        for route in routes:
            if route not in known:
                raise ValueError(f"{where}.upstreams: unknown upstream '{route}' (configured: {', '.join(known)})")
        if len(set(routes)) != len(routes):
            raise ValueError(f"{where}.upstreams: an upstream is listed twice")
        for fallback in model.fallbacks:
            if fallback == model.name:
                raise ValueError(f"{where}.fallbacks: a model cannot fall back to itself")
            if fallback not in models:
                raise ValueError(f"{where}.fallbacks: '{fallback}' is not a configured model")
        if len(set(model.fallbacks)) != len(model.fallbacks):
            raise ValueError(f"{where}.fallbacks: a model is listed twice")


class SearchSection(_Section):
    sku: Literal["basic", "standard", "standard2", "standard3"] = "basic"


class StateSection(_Section):
    """Where the state lives: a local file (default) or a blob in Azure Storage, shared by a team and its CI."""

    backend: Literal["local", "azure_blob"] = "local"
    storage_account: Annotated[str | None, Field(pattern=r"^[a-z0-9]{3,24}$")] = None
    # Container names: 3-63 lowercase letters, digits and single hyphens (Learn "Naming and referencing containers").
    container: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=3, max_length=63)] = \
        "foundry-litellm-state"
    key: Annotated[str | None, Field(pattern=r"^[^\\]{1,1024}$")] = None  # default: <environment>.json
    endpoint: str | None = None  # any Blob endpoint (a sovereign cloud's, Azurite's); default from the account
    resource_group: str | None = None  # where `state bootstrap` creates the account; default: azure.resource_group
    lease_seconds: Annotated[int, Field(ge=15, le=60)] = 60  # a dead runner's lease expires within this

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and urlparse(value).scheme not in ("https", "http"):
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value

    @model_validator(mode="after")
    def _complete(self) -> StateSection:
        if self.backend == "azure_blob" and not self.storage_account:
            raise ValueError("backend 'azure_blob' needs storage_account")
        return self


# Every [state] field can come from the environment instead (a pipeline's variables), overriding the file.
STATE_ENV = {field: f"FOUNDRY_LITELLM_STATE_{field.upper()}" for field in StateSection.model_fields}


class ConfigFile(_Section):
    environment: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")] = "dev"
    azure: AzureSection
    network: NetworkSection = Field(default_factory=NetworkSection)
    monitoring: MonitoringSection = Field(default_factory=MonitoringSection)
    foundry: FoundrySection = Field(default_factory=FoundrySection)
    key_vault: KeyVaultSection = Field(default_factory=KeyVaultSection)
    postgres: PostgresSection = Field(default_factory=PostgresSection)
    search: SearchSection = Field(default_factory=SearchSection)
    gateway: GatewaySection = Field(default_factory=GatewaySection)
    state: StateSection = Field(default_factory=StateSection)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            _refuse_secrets(data, "")
        return data


def _refuse_secrets(node: dict[str, Any], path: str) -> None:
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if re.search(r"(api_?key|password|secret|token)", key, re.IGNORECASE):
            raise ValueError(f"{where}: secrets are read from the environment only, never from the config file")
        if isinstance(value, dict):
            _refuse_secrets(value, where)


@dataclass(frozen=True)
class Subnets:
    agent: ipaddress.IPv4Network
    private_endpoint: ipaddress.IPv4Network
    container_apps: ipaddress.IPv4Network
    app_gateway: ipaddress.IPv4Network


@dataclass(frozen=True)
class Config:
    """Everything a run needs, validated: the file, the environment and the flags."""

    path: Path
    environment: str
    subscription_id: str
    resource_group: str
    location: str
    tags: dict[str, str]
    address_space: ipaddress.IPv4Network
    subnets: Subnets
    log_retention_days: int
    existing_dns_zones: dict[str, str]  # zone key -> resource id of a zone this tool does not own
    link_existing_dns_zones: bool
    openai_api_base: str | None
    openai_resource_id: str | None
    openai_key_present: bool
    key_vault: KeyVaultSection
    postgres: PostgresSection
    search: SearchSection
    foundry: FoundrySection
    gateway: GatewaySection
    state: StateSection = field(default_factory=StateSection)

    @property
    def projects(self) -> int:
        """The number of Foundry projects (``foundry.projects``)."""
        return self.foundry.projects

    @property
    def upstream_resource_ids(self) -> dict[str, str]:
        """Each upstream reached through a private endpoint -> its account's ARM id (OPENAI_RESOURCE_ID for the
        implicit one)."""
        if self.gateway.upstreams:
            return {u.name: u.resource_id for u in self.gateway.upstreams if u.resource_id}
        return {DEFAULT_UPSTREAM: self.openai_resource_id} if self.openai_resource_id else {}

    @property
    def token(self) -> str:
        return naming.resource_token(self.subscription_id, self.resource_group, self.location)

    @property
    def config_validation_result(self) -> bool:
        """The reference's check: the upstream key and base are both present (and here also well formed)."""
        return self.openai_key_present and self.openai_api_base is not None


def _network(location: str, section: NetworkSection) -> tuple[ipaddress.IPv4Network, Subnets]:
    default = "10.0.0.0/20" if location in _CLASS_A_REGIONS else "192.168.0.0/20"
    space = _ipv4(section.address_space or default, "network.address_space")
    if space.prefixlen > 22:
        raise ConfigError("network.address_space", f"{space} is too small: four /24 subnets need a /22 or larger")
    for reserved in _RESERVED:
        if space.overlaps(reserved):
            raise ConfigError("network.address_space", f"{space} overlaps {reserved}, which Azure reserves")
    slices = list(space.subnets(new_prefix=24))
    chosen: dict[str, ipaddress.IPv4Network] = {}
    for index, role in enumerate(SUBNET_ROLES):
        field = f"{role}_subnet"
        value = getattr(section, field)
        subnet = _ipv4(value, f"network.{field}") if value else slices[index]
        if not subnet.subnet_of(space):
            raise ConfigError(f"network.{field}", f"{subnet} is not inside the address space {space}")
        if subnet.prefixlen > 27:
            raise ConfigError(f"network.{field}", f"{subnet} is too small: Azure needs at least a /27 here")
        for other_role, other in chosen.items():
            if subnet.overlaps(other):
                raise ConfigError(f"network.{field}", f"{subnet} overlaps the {other_role} subnet {other}")
        chosen[role] = subnet
    return space, Subnets(**chosen)


def _existing_zones(location: str, section: NetworkSection) -> dict[str, str]:
    """Zone ids checked before any request: a known zone key, an ARM id, and the zone name that key needs."""
    for key, zone_id in section.existing_dns_zones.items():
        field = f"network.existing_dns_zones.{key}"
        if key not in DNS_ZONES:
            raise ConfigError(field, f"unknown zone key; use one of {', '.join(DNS_ZONES)}")
        match = _DNS_ZONE_ID.fullmatch(zone_id)
        if match is None:
            raise ConfigError(field, f"'{zone_id}' is not the ARM id of a private DNS zone (/subscriptions/<id>/"
                              "resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone>)")
        wanted = DNS_ZONES[key].format(location=location)
        if match.group(1).lower() != wanted:
            raise ConfigError(field, f"the zone is {match.group(1)}, but {key} private endpoints need {wanted}")
    return dict(section.existing_dns_zones)


def _ipv4(value: str, field: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ConfigError(field, f"'{value}' is not a valid CIDR block ({exc})") from exc
    if not isinstance(network, ipaddress.IPv4Network):
        raise ConfigError(field, f"'{value}' must be an IPv4 CIDR block")
    return network


def _openai_base(value: str | None) -> str | None:
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.netloc or parsed.query or parsed.fragment:
        raise ConfigError("OPENAI_API_BASE", f"'{value}' must be an https:// URL such as "
                          "https://my-account.openai.azure.com")
    return value.rstrip("/")


def load(path: Path | None = None, *, env: dict[str, str] | None = None, require_openai: bool = True,
         subscription_id: str | None = None) -> Config:
    """Read and validate; raises ConfigError naming the field at fault."""
    env = dict(os.environ) if env is None else env
    path = path or DEFAULT_CONFIG
    if not path.exists():
        raise ConfigError("--config", f"{path} not found; create one with 'foundry-litellm init'")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
    overrides = {field: env[name] for field, name in STATE_ENV.items() if env.get(name)}
    if overrides:
        raw["state"] = {**(raw.get("state") or {}), **overrides}
    try:
        parsed = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, path) from exc
    sub = subscription_id or parsed.azure.subscription_id or env.get("AZURE_SUBSCRIPTION_ID")
    if not sub:
        raise ConfigError("azure.subscription_id", "set it in the config file or in AZURE_SUBSCRIPTION_ID")
    if not _GUID.fullmatch(sub):
        raise ConfigError("AZURE_SUBSCRIPTION_ID", f"'{sub}' is not a subscription id (a GUID)")
    space, subnets = _network(parsed.azure.location, parsed.network)
    key_present = bool(env.get(OPENAI_KEY_ENV, "").strip())
    base = _openai_base(env.get("OPENAI_API_BASE"))
    if parsed.gateway.upstreams:  # named upstreams replace the OPENAI_API_BASE / OPENAI_API_KEY shorthand
        missing = [u for u in parsed.gateway.upstreams if not env.get(u.key_env, "").strip()]
        if require_openai and missing:
            raise ConfigError(missing[0].key_env, f"is not set: it holds the key of upstream '{missing[0].name}'")
        key_present, base = not missing, parsed.gateway.upstreams[0].base
    resource_id = env.get("OPENAI_RESOURCE_ID") or None
    if resource_id and parsed.gateway.upstreams:  # which upstream's account would it be? Each names its own.
        raise ConfigError("OPENAI_RESOURCE_ID", "is set while gateway.upstreams are configured: give the account's "
                          "id as resource_id of its [[gateway.upstreams]] entry instead")
    if resource_id and not _ARM_ACCOUNT_ID.fullmatch(resource_id):
        raise ConfigError("OPENAI_RESOURCE_ID", f"'{resource_id}' is not the ARM id of a Cognitive Services "
                          "account (/subscriptions/<id>/resourceGroups/<rg>/providers/"
                          "Microsoft.CognitiveServices/accounts/<name>)")
    if require_openai and not key_present:
        raise ConfigError("OPENAI_API_KEY", "is not set: the gateway needs the upstream Azure OpenAI key")
    if require_openai and base is None:
        raise ConfigError("OPENAI_API_BASE", "is not set: the gateway needs the upstream Azure OpenAI endpoint")
    config = Config(
        path=path, environment=parsed.environment, subscription_id=sub.lower(),
        resource_group=parsed.azure.resource_group, location=parsed.azure.location, tags=dict(parsed.azure.tags),
        address_space=space, subnets=subnets, log_retention_days=parsed.monitoring.log_retention_days,
        existing_dns_zones=_existing_zones(parsed.azure.location, parsed.network),
        link_existing_dns_zones=parsed.network.link_existing_dns_zones,
        openai_api_base=base, openai_resource_id=resource_id,
        openai_key_present=key_present, key_vault=parsed.key_vault, postgres=parsed.postgres,
        search=parsed.search, foundry=parsed.foundry, gateway=parsed.gateway, state=parsed.state,
    )
    _check_names(config)
    return config


def _explain(exc: ValidationError, path: Path) -> ConfigError:
    """Pydantic's first complaint in the file's own terms. A misspelt key is reported as such (with the key it
    resembles), before the "required" complaint that the same typo causes for the key it was meant to be."""
    errors = exc.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(p) for p in first["loc"]]
    field = ".".join(loc) or str(path)
    section = ".".join(p for p in loc[:-1] if not p.isdigit())
    if first["type"] == "extra_forbidden":
        known = _keys_of(loc[:-1])
        guess = difflib.get_close_matches(loc[-1], known, n=1)
        advice = f"did you mean '{guess[0]}'?" if guess else f"known keys: {', '.join(sorted(known))}"
        return ConfigError(field, f"unknown key '{loc[-1]}' ({advice})")
    if first["type"] == "missing":
        return ConfigError(field, f"is required: add {loc[-1]} = ..." + (f" under [{section}]" if section else ""))
    return ConfigError(field, first["msg"].removeprefix("Value error, "))


def _keys_of(loc: list[str]) -> list[str]:
    """The keys the config file accepts at ``loc`` (a section path; list indexes skipped)."""
    model: type[BaseModel] = ConfigFile
    for part in loc:
        if part.isdigit() or part not in model.model_fields:
            continue
        inner = _model_in(model.model_fields[part].annotation)
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _check_names(config: Config) -> None:
    for kind, name in Names.of(config).all(config.projects):
        problem = naming.check_name(kind, name)
        if problem:
            raise ConfigError("azure.resource_group", f"the derived {problem}")

