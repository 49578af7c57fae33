"""Microsoft.Resources: resource groups."""

from __future__ import annotations

from ..provider import Durations, Json, NameRule, Provider
from ..world import World

VERSIONS = frozenset({
    # Older versions Azure still accepts: the Azure CLI recordings send 2019-05-10
    # (network__test_network_subnet_delegation.yaml) and 2017-05-10 (network__test_network_nsg.yaml); the others are
    # published beside them in azure-rest-api-specs (resources/resource-manager/Microsoft.Resources/stable/).
    "2017-05-10", "2018-02-01", "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01",
    "2019-10-01", "2020-06-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-09-01", "2023-07-01",
    "2024-03-01", "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01",
})


class ResourceGroup(Provider):
    type = "Microsoft.Resources/resourceGroups"
    api_versions = VERSIONS
    # PUT is synchronous (resources.json: 200/201, no long-running flag); DELETE is 202 + Location.
    put_style = "sync"
    delete_style = "location"
    durations = Durations(create=0, update=0, delete=20)
    name_rule = NameRule(1, 90, r"[-\w.()]*[-\w()]", "letters, digits, '-', '_', '.', '(' and ')', "
                         "not ending in '.'", code="InvalidResourceGroupName")
    top_level = ("tags", "managedBy")

    def delete_duration(self, world: World, record: Json) -> float:
        # Azure deletes a group's resources in parallel: as long as the slowest of them, plus its own work.
        inner = [world.provider_of(r).delete_duration(world, r) for r in world.descendants(record["id"])]
        return self.durations.delete + max(inner, default=0.0)


PROVIDERS = [ResourceGroup()]
