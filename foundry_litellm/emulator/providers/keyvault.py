"""Microsoft.KeyVault: vaults (global names, soft delete, recovery, purge) and their secrets (control plane).

Sources: openapi.json (KeyVault 2026-05-15): Vaults_CreateOrUpdate is long-running (200/201, provisioningState
RegisteringDns -> Succeeded), Vaults_Delete is synchronous, Secrets_CreateOrUpdate is synchronous (200/201) and
"'value' will never be returned from the service"; the management plane has no secret DELETE.
Errors: VaultAlreadyExists / VaultNameNotValid (Learn "Common error codes for Azure Key Vault",
Azure/azure-powershell#15115); a soft-deleted vault answers ConflictError "A vault with the same name already
exists in deleted state" (Azure/azure-cli#29115, alan-turing-institute/data-safe-haven#2523); recover without a
deleted vault: SoftDeletedVaultDoesNotExist (400); enablePurgeProtection false is refused even on create
(Azure/azure-cli#29115); a foreign tenantId: BadRequest "An invalid value was provided for 'tenantId'."; a
create without accessPolicies: BadRequest "The parameter accessPolicies is not specified."
(pulumi/pulumi-azure-nextgen#231).
Creation takes 21-26 s (MicrosoftDocs/azure-docs container-apps/microservices-dapr-bindings.md, azd timings).
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import TYPE_CHECKING

from ..errors import ArmError, bad_request, conflict
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import TENANT_ID, World
from . import keyvault_deleted as deleted_vaults
from .common import system_data
from .data_common import same_name_elsewhere, subscription_of
from .privatelink import connections_to

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

VERSIONS = frozenset({
    "2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01", "2021-04-01-preview", "2021-06-01-preview",
    "2021-10-01", "2021-11-01-preview", "2022-02-01-preview", "2022-07-01", "2022-11-01", "2023-02-01",
    "2023-07-01", "2024-04-01-preview", "2024-11-01", "2024-12-01-preview", "2025-05-01", "2026-05-15",
})
VAULT_TYPE = "Microsoft.KeyVault/vaults"
SECRET_TYPE = "Microsoft.KeyVault/vaults/secrets"  # noqa: S105 - a type name, not a secret


class _VaultName(NameRule):
    def check(self, type_: str, name: str) -> None:
        if re.fullmatch(r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]", name):
            return
        raise bad_request(
            "VaultNameNotValid",
            f"The vault name '{name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. "
            "The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.")


def _name_in_use(name: str) -> ArmError:
    return conflict(
        "VaultAlreadyExists",
        f"The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the "
        "name is already taken. If you are sure that the vault name was not taken then it is possible that a "
        "vault with the same name was recently deleted but not purged after being placed in a recoverable state. "
        "If the vault is in a recoverable state then the vault will need to be purged before reusing the name. "
        "For more information on soft delete and purging a vault follow this link "
        "https://go.microsoft.com/fwlink/?linkid=2147740.")


class Vault(Provider):
    type = VAULT_TYPE
    api_versions = VERSIONS
    put_style = "body"  # 200/201 whose body says RegisteringDns; the SDK polls the vault
    # A create answers 200, not 201 (recordings keyvault/test_keyvault_private_endpoint.yaml, 2018-02-14, and
    # azure-mgmt-keyvault test_vaults_operations.yaml, 2019-09-01).
    create_status = 200
    delete_style = "sync"
    creating_state = "RegisteringDns"
    durations = Durations(create=24)
    name_rule = _VaultName(3, 24, "", "")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method != "PUT" or ref.is_collection or ref.action is not None:
            return None
        body = json_body(req)
        mode = str((body.get("properties") or {}).get("createMode", "default")).lower()
        if mode != "recover" or arm.world.get(ref.key) is not None:
            return None
        # Azure CLI recording keyvault/test_keyvault_softdelete.yaml: a recovery (createMode recover) answers 200
        # with the vault Succeeded at once.
        response = arm.put(ref, self, body, req.api_version or "", fault, style="sync")
        response.status = 200
        return response

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        if str(props.get("tenantId", "")).lower() != TENANT_ID:
            raise bad_request("BadRequest", "An invalid value was provided for 'tenantId'.")
        if props.get("enablePurgeProtection") is False:
            raise bad_request("BadRequest", 'The property "enablePurgeProtection" cannot be set to false. Enabling '
                              "the purge protection for a vault is an irreversible action.")
        days = props.get("softDeleteRetentionInDays")
        if days is not None and not (isinstance(days, int) and 7 <= days <= 90):
            raise bad_request("BadRequest", "softDeleteRetentionInDays must be between 7 and 90.")
        if existing is not None:
            return
        recover = str(props.get("createMode", "default")).lower() == "recover"
        if "accessPolicies" not in props and not recover:  # required unless recovering (VaultProperties)
            raise bad_request("BadRequest", "The parameter accessPolicies is not specified.")
        if same_name_elsewhere(world, VAULT_TYPE, ref) is not None:
            raise _name_in_use(ref.name)
        gone = deleted_vaults.find(world, ref.name)
        if recover:
            recoverable = gone is not None and not deleted_vaults.being_purged(world, gone) and \
                gone["properties"]["vaultId"].lower() == ref.key
            if not recoverable:
                raise bad_request("SoftDeletedVaultDoesNotExist",
                                  "A soft deleted vault with the given name does not exist. Ensure that the name "
                                  "for the vault that is being attempted to recover is in a recoverable state.")
        elif gone is not None:
            if subscription_of(gone["properties"]["vaultId"]) != ref.subscription.lower():
                raise _name_in_use(ref.name)
            raise conflict("ConflictError",
                           "A vault with the same name already exists in deleted state. You need to either recover "
                           "or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid="
                           "2149745 for more information on soft delete.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        mode = str(props.pop("createMode", "default")).lower()
        if existing is None and mode == "recover":
            entry, sealed = deleted_vaults.take(world, ref.name)
            body["properties"] = props = copy.deepcopy(entry["vault"]["body"]["properties"])
            body.setdefault("tags", entry["vault"]["body"].get("tags") or {})
            body["location"] = entry["vault"]["body"]["location"]
            body["_recovered"] = {"secrets": entry["secrets"], "sealed": sealed, "created": entry["vault"]["created"]}
        old = (existing or {}).get("body", {}).get("properties", {})
        if old.get("enablePurgeProtection"):
            props["enablePurgeProtection"] = True  # irreversible once on
        props["enableSoftDelete"] = True  # mandatory since February 2025 (Learn: soft-delete overview)
        props.setdefault("softDeleteRetentionInDays", old.get("softDeleteRetentionInDays", 90))
        props.setdefault("enableRbacAuthorization", True)  # the spec default of 2026-05-15
        props.setdefault("accessPolicies", [])
        for flag in ("enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment"):
            props.setdefault(flag, False)
        props.setdefault("publicNetworkAccess", "Enabled")
        props["vaultUri"] = f"https://{ref.name.lower()}.vault.azure.net/"

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"]["modified"] = world.now()  # systemData.lastModifiedAt
        recovered = record["body"].pop("_recovered", None)
        if recovered is None:
            return
        record["internal"].update(recovered["sealed"].get("vault") or {})
        # The recording's recovered vault keeps its first createdAt; lastModifiedAt is the recovery's.
        record["internal"].update(created=recovered["created"], modified=world.now())
        for secret in recovered["secrets"]:  # the secrets come back with the vault
            world.store_record({"id": secret["id"], "type": SECRET_TYPE, "created": secret["created"], "op": None,
                                "body": secret["body"],
                                "internal": dict(recovered["sealed"]["secrets"].get(secret["id"], {}))})

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["systemData"] = system_data(record)
        body["properties"]["privateEndpointConnections"] = connections_to(world, record)
        return body

    def deleted(self, world: World, record: Json) -> None:
        deleted_vaults.soft_delete(world, record)


class Secret(Provider):
    type = SECRET_TYPE
    api_versions = VERSIONS
    put_style = "sync"  # Secrets_CreateOrUpdate: 200/201, not long-running
    delete_style = "sync"
    location = "inherit"
    write_only = ("properties.value",)
    name_rule = NameRule(1, 127, r"[a-zA-Z0-9-]+", "letters, digits and '-'")

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if req.method == "DELETE":  # secrets are deleted through the data plane only
            raise ArmError(405, "MethodNotAllowed",
                           "The requested resource does not support http method 'DELETE'.")
        return None

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        value = props.get("value")
        changed = existing is None or (value is not None and value != existing["internal"].get("properties.value"))
        version = uuid.uuid4().hex if changed else old["secretUriWithVersion"].rsplit("/", 1)[-1]
        vault = ref.names[0].lower()
        now = int(world.now())
        attributes = props.setdefault("attributes", {})
        attributes.setdefault("enabled", True)
        attributes["created"] = old.get("attributes", {}).get("created", now)
        attributes["updated"] = now
        props["secretUri"] = f"https://{vault}.vault.azure.net/secrets/{ref.name}"
        props["secretUriWithVersion"] = f"{props['secretUri']}/{version}"

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["properties"].pop("provisioningState", None)  # secrets have none (SecretProperties)
        return body

    def deleted(self, world: World, record: Json) -> None:
        vault = world.get(record["id"].rsplit("/secrets/", 1)[0])
        if vault is not None:  # the vault is going: it keeps its secrets for soft delete and recovery
            vault["internal"].setdefault("deleted_secrets", []).append(copy.deepcopy(record))


PROVIDERS: list[Provider] = [Vault(), Secret(), *deleted_vaults.providers(VERSIONS)]
