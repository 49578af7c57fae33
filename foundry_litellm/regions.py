"""Azure public-cloud regions (programmatic names), as ``az account list-locations`` prints them."""

from __future__ import annotations

REGIONS: frozenset[str] = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth
    brazilsoutheast canadacentral canadaeast centralindia centralus centraluseuap chilecentral eastasia eastus
    eastus2 eastus2euap francecentral francesouth germanynorth germanywestcentral indonesiacentral israelcentral
    italynorth japaneast japanwest jioindiacentral jioindiawest koreacentral koreasouth malaysiawest
    mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest polandcentral qatarcentral
    southafricanorth southafricawest southcentralus southeastasia southindia spaincentral swedencentral
    swedensouth switzerlandnorth switzerlandwest uaecentral uaenorth uksouth ukwest westcentralus westeurope
    westindia westus westus2 westus3
    """.split()
)


def normalize(location: str) -> str:
    """ARM accepts display names ('East US') and answers with the programmatic name ('eastus')."""
    return location.replace(" ", "").lower()
