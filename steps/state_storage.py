"""The storage account and container that hold the tool's shared state (``state bootstrap``).

The state is what lets two deployers, or a deployer and CI, share one deployment: versioning and soft delete keep
every overwritten or deleted state blob recoverable, shared keys are off (Entra ID only), TLS 1.2, HTTPS only, no
public blob access. The steps take their identity from ``StateStorage``, not from the deployment's config: the
state may live in another resource group than the deployment it describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foundry_litellm import regions
from foundry_litellm.config import Config
from foundry_litellm.context import RunContext, resource_id_in
from foundry_litellm.diff import Change
from foundry_litellm.errors import ConfigError
from foundry_litellm.step import ArmStep, IdOutputs, Json, NamedOutputs, Sdk, Step

from .resource_group import ResourceGroup
from .resource_provider import ResourceProvider

STORAGE_NAMESPACE = "Microsoft.Storage"
SOFT_DELETE_DAYS = 7
# Azure's name rules, checked before anything is sent: storage.json (account: 3-24 lower-case letters and digits),
# blob.json ContainerName (3-63 digits, lower-case letters and single hyphens between them), resources.json
# (group: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.').
_NAMES = {
    "storage_account": (re.compile(r"[a-z0-9]{3,24}"), "3-24 lower-case letters and digits"),
    "container": (re.compile(r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*"),
                  "3-63 lower-case letters, digits and hyphens, each hyphen between two letters or digits"),
    "resource_group": (re.compile(r"[-\w.()]{0,89}[-\w()]"), "1-90 letters, digits, '_', '-', '.', '(' or ')', "
                       "not ending in '.'"),
}


@dataclass(frozen=True)
class StateStorage:
    """Where the shared state lives."""

    subscription_id: str
    resource_group: str
    location: str
    storage_account: str
    container: str

    def __post_init__(self) -> None:
        for field, (rule, what) in _NAMES.items():
            value = getattr(self, field)
            if not rule.fullmatch(value):
                raise ConfigError(f"state.{field}", f"{value!r} is not a valid name: {what}")
        location = regions.normalize(self.location)  # ARM answers 'eastus' to 'East US': compare like with like
        if location not in regions.REGIONS:
            raise ConfigError("state.location", f"unknown Azure region {self.location!r}")
        object.__setattr__(self, "location", location)

    @property
    def group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def resource_id(self, arm_type: str, *names: str) -> str:
        return resource_id_in(self.group_id, arm_type, *names)


class _InStateGroup(ArmStep):
    """A resource of the state's group: ids and SDK arguments from ``StateStorage``, never from the config."""

    def __init__(self, settings: StateStorage) -> None:
        self.settings = settings

    def resource_id(self, ctx: RunContext) -> str:
        return self.settings.resource_id(self.arm_type, *self.names(ctx))


class StateResourceGroup(ResourceGroup):
    """The state's resource group; one that exists is adopted as it is (``ResourceGroup``)."""

    name = "state_resource_group"
    title = "State resource group"

    def __init__(self, settings: StateStorage) -> None:
        self.settings = settings

    def group(self, ctx: RunContext) -> str:
        return self.settings.resource_group

    def resource_id(self, ctx: RunContext) -> str:
        return self.settings.group_id

    def body(self, ctx: RunContext) -> Json:
        return {"location": self.settings.location}


class StateStorageOutputs(NamedOutputs):
    blob_endpoint: str


class StateStorageAccount(_InStateGroup):
    """See foundry_litellm/step.py."""

    name = "state_storage_account"
    title = "State storage account"
    sdk = Sdk("storage", "storage_accounts", put="begin_create", delete="delete")
    arm_type = "Microsoft.Storage/storageAccounts"
    immutable = ("kind",)
    create_timeout = 60 * 60  # azurerm storage_account create default

    def __init__(self, settings: StateStorage) -> None:
        super().__init__(settings)
        self.depends_on = (StateResourceGroup(settings), ResourceProvider(STORAGE_NAMESPACE))

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.settings.storage_account,)

    def body(self, ctx: RunContext) -> Json:
        return {"location": self.settings.location, "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
                "properties": {
                    "minimumTlsVersion": "TLS1_2",
                    "allowBlobPublicAccess": False,
                    "allowSharedKeyAccess": False,  # Entra ID only: no account key can read or write the state
                    "supportsHttpsTrafficOnly": True,
                }}

    def outputs(self, ctx: RunContext, actual: Json) -> StateStorageOutputs:
        endpoints = actual["properties"].get("primaryEndpoints") or {}
        return {"id": actual["id"], "name": actual["name"], "blob_endpoint": str(endpoints.get("blob", ""))}


class StateBlobService(_InStateGroup):
    """Versioning and blob and container soft delete: every state write and delete can be undone for a week."""

    name = "state_blob_service"
    title = "State blob versioning"
    sdk = Sdk("storage", "blob_services", put="set_service_properties")
    arm_type = "Microsoft.Storage/storageAccounts/blobServices"
    tagged = False  # ours when the account is

    def __init__(self, settings: StateStorage) -> None:
        super().__init__(settings)
        self.depends_on = (StateStorageAccount(settings),)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.settings.storage_account, "default")

    def parent(self) -> ArmStep:
        return StateStorageAccount(self.settings)

    def body(self, ctx: RunContext) -> Json:
        retention = {"enabled": True, "days": SOFT_DELETE_DAYS}
        return {"properties": {"isVersioningEnabled": True, "deleteRetentionPolicy": dict(retention),
                               "containerDeleteRetentionPolicy": dict(retention)}}

    def delete(self, ctx: RunContext, actual: Json) -> None:
        """No DELETE exists (blob.json): the service goes with its account."""

    def outputs(self, ctx: RunContext, actual: Json) -> IdOutputs:
        return {"id": actual["id"]}


class StateContainerOutputs(NamedOutputs):
    url: str  # https://<account>.blob.core.windows.net/<container>


class StateContainer(_InStateGroup):
    """The private container the state blobs live in."""

    name = "state_container"
    title = "State container"
    sdk = Sdk("storage", "blob_containers", put="create", delete="delete")
    arm_type = "Microsoft.Storage/storageAccounts/blobServices/containers"
    tagged = False  # ours when the account is

    def __init__(self, settings: StateStorage) -> None:
        super().__init__(settings)
        self.depends_on = (StateBlobService(settings),)

    def names(self, ctx: RunContext) -> tuple[str, ...]:
        return (self.settings.storage_account, "default", self.settings.container)

    def parent(self) -> ArmStep:
        return StateStorageAccount(self.settings)

    def body(self, ctx: RunContext) -> Json:
        return {"properties": {"publicAccess": "None"}}

    def changes(self, ctx: RunContext, desired: Json, actual: Json) -> list[Change]:
        # A private container may be shown without publicAccess: absent means None (blob.json PublicAccess).
        props = actual.get("properties") or {}
        seen = {**actual, "properties": {"publicAccess": "None", **props}}
        return super().changes(ctx, desired, seen)

    def outputs(self, ctx: RunContext, actual: Json) -> StateContainerOutputs:
        account = ctx.outputs_if_known(StateStorageAccount(self.settings))
        endpoint = account["blob_endpoint"] if account else \
            f"https://{self.settings.storage_account}.blob.core.windows.net/"
        return {"id": actual["id"], "name": actual["name"], "url": endpoint + self.settings.container}


def bootstrap_steps(settings: StateStorage) -> list[Step]:
    """Every step of ``state bootstrap``, in order: the registration, the group, the account, its blob service,
    the container."""
    return [ResourceProvider(STORAGE_NAMESPACE), StateResourceGroup(settings), StateStorageAccount(settings),
            StateBlobService(settings), StateContainer(settings)]


def settings_of(config: Config) -> StateStorage:
    """The state storage the configuration's ``[state]`` section names. Its group defaults to the deployment's
    with ``-state`` appended: never the deployment's own, which a destroy may delete with everything in it."""
    if not config.state.storage_account:
        raise ConfigError("state.storage_account", "is needed: the account to create (3-24 lower-case letters and "
                                                   "digits, unique across Azure)")
    return StateStorage(subscription_id=config.subscription_id,
                        resource_group=config.state.resource_group or f"{config.resource_group}-state",
                        location=config.location, storage_account=config.state.storage_account,
                        container=config.state.container)


class Bootstrap:
    """``state bootstrap``'s pipeline (the engine's ``Pipeline``): nothing is ever retired from it."""

    def pipeline(self, config: Config) -> list[Step]:
        return bootstrap_steps(settings_of(config))

    def retired(self, config: Config, recorded: set[str]) -> list[Step]:
        return []
