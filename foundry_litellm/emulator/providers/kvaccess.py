"""Whether a managed identity can read a Key Vault secret, as Container Apps and Application Gateway find out.

A vault authorizes data-plane reads through Azure RBAC (enableRbacAuthorization, the default) or through access
policies. Under RBAC, Key Vault Secrets User, Secrets Officer and Administrator grant secret reads, at the
vault, secret, group or subscription scope (Learn "rbac-guide"). Role assignment changes need "a few minutes"
to take effect (authorization.propagated; up to 10 minutes, Azure/devops-governance#22): a read right after the
assignment is created is still denied, which is the RBAC race of reference-inventory §6 item 22.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..provider import Json, prop
from ..world import World
from . import reach
from .authorization import propagated

ROLE_ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
# Built-in roles with Microsoft.KeyVault/vaults/secrets/getSecret/action.
SECRET_READ_ROLES = frozenset({
    "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",  # Key Vault Secrets Officer
    "00482a5a-887f-4fb3-b363-3b7fe8e74483",  # Key Vault Administrator
})
_SECRET_URL = re.compile(r"https://([a-z0-9-]+)\.vault\.azure\.net/secrets/([A-Za-z0-9-]+)(?:/[0-9a-f]*)?/?",
                         re.IGNORECASE)


@dataclass(frozen=True)
class SecretRef:
    vault: str
    name: str


def parse_secret_url(url: str) -> SecretRef | None:
    match = _SECRET_URL.fullmatch(url.strip())
    return SecretRef(match.group(1).lower(), match.group(2)) if match else None


def find_vault(world: World, name: str) -> Json | None:
    return next((v for v in world.of_type(reach.VAULT_TYPE) if v["body"]["name"].lower() == name), None)


def _scope_of(assignment: Json) -> str:
    return str(assignment["id"]).lower().rsplit("/providers/microsoft.authorization/roleassignments/", 1)[0]


def _covers(scope: str, resource_id: str) -> bool:
    target = resource_id.lower()
    return target == scope or target.startswith(scope + "/")


def rbac_allows(world: World, principal_id: str, resource_id: str, *, at: float) -> bool:
    """A secret-reading role assignment for the principal covers ``resource_id`` and has propagated by ``at``."""
    for assignment in world.of_type(ROLE_ASSIGNMENT_TYPE):
        props = assignment["body"].get("properties") or {}
        role = str(props.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower()
        if str(props.get("principalId", "")).lower() != principal_id.lower() or role not in SECRET_READ_ROLES:
            continue
        if propagated(world, assignment, at=at) and _covers(_scope_of(assignment), resource_id):
            return True
    return False


def _policy_allows(vault: Json, principal_id: str) -> bool:
    for policy in prop(vault["body"], "properties.accessPolicies", []) or []:
        secrets = [str(p).lower() for p in prop(policy, "permissions.secrets", []) or []]
        if str(policy.get("objectId", "")).lower() == principal_id.lower() and ("get" in secrets or "all" in secrets):
            return True
    return False


def read_denied(world: World, principal_id: str, url: str, *, at: float, from_vnet: str | None) -> str | None:
    """Why the principal cannot read the secret at ``url`` (None: it can).

    ``from_vnet`` is the virtual network the reader sits in (None: Azure's public network), which matters when
    the vault refuses public traffic.
    """
    ref = parse_secret_url(url)
    if ref is None:
        return f"'{url}' is not a Key Vault secret URL"
    vault = find_vault(world, ref.vault)
    if vault is None:
        return f"the vault '{ref.vault}' does not exist"
    blocked = _network_blocks(world, vault, from_vnet)
    if blocked:
        return blocked
    secret_id = f"{vault['id']}/secrets/{ref.name}"
    if world.get(secret_id) is None:
        return f"the secret '{ref.name}' does not exist in vault '{ref.vault}'"
    rbac = prop(vault["body"], "properties.enableRbacAuthorization")
    allowed = rbac_allows(world, principal_id, secret_id, at=at) if rbac is not False \
        else _policy_allows(vault, principal_id)
    return None if allowed else f"the identity has no permission to get secrets of vault '{ref.vault}'"


def _network_blocks(world: World, vault: Json, from_vnet: str | None) -> str | None:
    """A vault with public network access disabled answers only through a private endpoint in the caller's VNet."""
    public = prop(vault["body"], "properties.publicNetworkAccess", "Enabled")
    if str(public).lower() != "disabled":
        return None
    name = vault["body"]["name"].lower()
    if from_vnet is not None:
        endpoints = reach.endpoints_to(world, vault["id"])
        answer = reach.resolve(world, from_vnet, f"{name}.vault.azure.net",
                               privatelink=[f"{name}.privatelink.vaultcore.azure.net"], public=[],
                               has_endpoint=bool(endpoints))
        for ip in answer.ips:
            if reach.in_vnet(world, from_vnet, ip) and any(reach.endpoint_answers(world, pe, ip) for pe in endpoints):
                return None
    return f"the vault '{name}' refuses public network access and is not reachable privately"
