"""One-line hints for Azure error codes: what the user can do next. Matched on the code, never the text."""

from __future__ import annotations

HINTS: dict[str, str] = {
    "AuthorizationFailed": "the signed-in identity lacks a role on the subscription or group: it needs Owner, or "
                           "Contributor plus Role Based Access Control Administrator",
    "AuthenticationFailed": "sign in again: az login, or set the service principal / workload identity variables",
    "InvalidAuthenticationTokenTenant": "the subscription belongs to another tenant: set AZURE_TENANT_ID",
    "SubscriptionNotFound": "check azure.subscription_id / AZURE_SUBSCRIPTION_ID",
    "MissingSubscriptionRegistration": "deploy registers the namespaces it needs (resource_provider steps); if "
                                       "this one is missing, run: az provider register --namespace <namespace>",
    "ResourceGroupBeingDeleted": "the resource group is still being deleted; run again when it is gone",
    "InUseSubnetCannotBeDeleted": "something still lives in the subnet (a private endpoint, or a service "
                                  "association link that Azure releases minutes after its owner is purged); "
                                  "run destroy again later",
    "InUseNetworkSecurityGroupCannotBeDeleted": "a subnet still uses the security group; delete the subnet first",
    "NetcfgSubnetRangeOutsideVnet": "check the network.* prefixes in the config: every subnet must lie inside "
                                    "network.address_space",
    "NetcfgSubnetRangesOverlap": "check the network.* prefixes in the config: subnets must not overlap",
    "AnotherOperationInProgress": "another write holds the resource; run again in a few minutes",
    "RetryableErrorDueToAnotherOperation": "another write holds the virtual network; run again in a few minutes",
    "ReferencedResourceNotProvisioned": "a resource it uses (a subnet) is still being written; run again in a few "
                                        "minutes",
    "LocationNotAvailableForResourceType": "pick another azure.location: this service is not offered there",
    "InvalidApiVersionParameter": "the endpoint does not support this SDK's api-version",
    "TooManyRequests": "Azure is throttling this subscription; run again in a few minutes",
    "SubscriptionRequestsThrottled": "Azure is throttling this subscription; run again in a few minutes",
    "InvalidRequestContent": "this is a bug in foundry-litellm: please report it with the --debug log",
}


def hint_for(code: str | None, status: int | None) -> str | None:
    if code and code in HINTS:
        return HINTS[code]
    if status is not None and status >= 500:
        return "Azure had a transient failure; run the same command again: it resumes where it stopped"
    return None
