"""Microsoft.ManagedIdentity: user-assigned identities."""

from __future__ import annotations

from ..armpath import ArmRef
from ..provider import Json, NameRule, Provider
from ..world import TENANT_ID, World
from .common import new_guid


class UserAssignedIdentity(Provider):
    type = "Microsoft.ManagedIdentity/userAssignedIdentities"
    api_versions = frozenset({"2018-11-30", "2021-09-30-preview", "2022-01-31-preview", "2023-01-31",
                              "2023-07-31-preview", "2024-11-30", "2025-01-31-preview"})
    # ManagedIdentity.json: PUT 200/201 and DELETE 200/204, both synchronous.
    put_style = "sync"
    delete_style = "sync"
    name_rule = NameRule(3, 128, r"[a-zA-Z0-9][a-zA-Z0-9_-]*", "letters, digits, '-' and '_', starting with a "
                         "letter or digit")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        old = existing["body"]["properties"] if existing else {}
        props = body["properties"]
        props["tenantId"] = TENANT_ID
        props["principalId"] = old.get("principalId") or new_guid()
        props["clientId"] = old.get("clientId") or new_guid()
        props.setdefault("isolationScope", "None")

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        if existing is None:
            # Entra ID replicates a new service principal with a delay: role assignments that name it in the
            # next minutes may fail with PrincipalNotFound (azure-quickstart-templates#4945).
            world.register_principal(record["body"]["properties"]["principalId"])

    def deleted(self, world: World, record: Json) -> None:
        world.data["principals"].pop(record["body"]["properties"]["principalId"], None)


PROVIDERS = [UserAssignedIdentity()]
