"""Validation of an Application Gateway body: SKU, subnet, frontends, sub-resource references, rules, probes.

Sources, by rule: references between sub-resources and to other resources fail with InvalidResourceReference
"Resource X referenced by resource Y was not found…" (Azure/azure-cli#2135); the gateway subnet may hold only
application gateways (ApplicationGatewaySubnetCannotHaveOtherResources); a v2 gateway takes only a Standard public
IP (ApplicationGatewayInvalidPublicIpSku, Azure/azure-cli#12059) and a Static private frontend address
(ApplicationGatewayFrontendIpPrivateIpAddressInvalidAllocationType, MicrosoftDocs/azure-docs#64853); an Https
listener needs a certificate (ApplicationGatewayHttpsListenerMustReferenceSslCert,
mspnp/template-building-blocks#395); from api-version 2021-08-01 every rule needs a priority
(ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty, aztfm/terraform-azurerm-application-gateway#10),
before it all or none (…PartialPriorityDefined, MicrosoftDocs/azure-docs#105222); WAF_v2 needs a WAF
configuration or policy (ApplicationGatewayFirewallNotConfiguredForSelectedSku, azurerm PR #19304); probe
thresholds and ranges from applicationGateway.json (unhealthy threshold [0, 20] as the service states it,
Azure/application-gateway-kubernetes-ingress PR #867); a v2 gateway's subnet must admit inbound TCP 65200-65535
from the gateway manager (ApplicationGatewaySubnetInboundTrafficBlockedByNetworkSecurityGroup, mspnp/aks-baseline
PR #284, Learn "configuration-infrastructure"). Codes marked "modelled" follow the service's naming pattern where
no public sample gave the exact one.
"""

from __future__ import annotations

from typing import Any

from ..errors import ArmError, bad_request
from ..provider import Json, prop
from ..world import World
from . import reach

PIP_TYPE = "Microsoft.Network/publicIPAddresses"
AGW_TYPE = "Microsoft.Network/applicationGateways"
V2_SKUS = ("standard_v2", "waf_v2")
PRIORITY_REQUIRED_FROM = "2021-08-01"


def invalid_reference(target: str, referrer: str) -> ArmError:
    return bad_request("InvalidResourceReference",
                       f"Resource {target} referenced by resource {referrer} was not found. Please make sure that the "
                       "referenced resource exists, and that both resources are in the same region.")


def items(props: Json, collection: str) -> list[Json]:
    value = props.get(collection) or []
    return [i for i in value if isinstance(i, dict)]


def ref_id(node: Any) -> str | None:
    value = node.get("id") if isinstance(node, dict) else None
    return value if isinstance(value, str) and value else None


def check(world: World, agw_id: str, body: Json, api_version: str) -> None:
    props = body["properties"]
    sku = str(prop(props, "sku.name", "")).lower()
    _check_capacity(props, sku)
    _check_internal_references(agw_id, props)
    _check_subnet(world, agw_id, props)
    _check_frontends(world, agw_id, props, sku)
    _check_listeners(agw_id, props)
    _check_rules(agw_id, props, api_version)
    _check_settings_and_probes(agw_id, props)
    if sku == "waf_v2" and not props.get("webApplicationFirewallConfiguration") and not props.get("firewallPolicy"):
        raise bad_request("ApplicationGatewayFirewallNotConfiguredForSelectedSku",
                          f"Application Gateway {agw_id} with the selected SKU tier WAF_v2 must have a valid WAF "
                          "policy or configuration")
    policy = ref_id(props.get("firewallPolicy"))
    if policy and world.get(policy) is None:
        raise invalid_reference(policy, agw_id)


def _check_capacity(props: Json, sku: str) -> None:
    if sku not in V2_SKUS:
        return
    capacity, autoscale = prop(props, "sku.capacity"), props.get("autoscaleConfiguration")
    if autoscale is not None:
        low, high = autoscale.get("minCapacity", 0), autoscale.get("maxCapacity", 125)
        if not 0 <= low <= 125 or not 2 <= high <= 125 or low > high:  # modelled code; ranges from the spec
            raise bad_request("ApplicationGatewayAutoscaleConfigurationIsInvalid",
                              f"Autoscale configuration minCapacity {low} / maxCapacity {high} is not valid. Supported "
                              "ranges are minCapacity [0, 125] and maxCapacity [2, 125], minCapacity <= maxCapacity.")
    elif capacity is None or not 1 <= int(capacity) <= 125:
        raise bad_request("ApplicationGatewaySkuCapacityIsInvalid",  # modelled code
                          f"Capacity {capacity} of SKU {prop(props, 'sku.name')} is not valid: give a capacity "
                          "between 1 and 125 or an autoscaleConfiguration.")


def _check_internal_references(agw_id: str, props: Json) -> None:
    """Every ``{"id": "<gateway>/<collection>/<name>"}`` inside the body names a sub-resource it defines."""
    prefix = agw_id.lower() + "/"
    defined = {f"{prefix}{collection.lower()}/{str(item.get('name', '')).lower()}"
               for collection, value in props.items() if isinstance(value, list)
               for item in value if isinstance(item, dict)}

    def walk(node: Any, referrer: str) -> None:
        if isinstance(node, dict):
            target = ref_id(node)
            if target and len(node) == 1 and target.lower().startswith(prefix) and target.lower() not in defined:
                raise invalid_reference(target, referrer)
            for value in node.values():
                walk(value, referrer)
        elif isinstance(node, list):
            for value in node:
                walk(value, referrer)

    for collection, value in props.items():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    walk(item.get("properties"), f"{agw_id}/{collection}/{item.get('name')}")


def _check_subnet(world: World, agw_id: str, props: Json) -> None:
    configs = items(props, "gatewayIPConfigurations")
    if len(configs) != 1:  # modelled code
        raise bad_request("ApplicationGatewayMustHaveOneGatewayIpConfiguration",
                          f"Application gateway {agw_id} must have exactly one gateway IP configuration.")
    subnet_id = ref_id(prop(configs[0], "properties.subnet"))
    referrer = f"{agw_id}/gatewayIPConfigurations/{configs[0].get('name')}"
    subnet = world.get(subnet_id) if subnet_id else None
    if subnet is None or subnet["type"] != reach.SUBNET_TYPE:
        raise invalid_reference(subnet_id or "(none)", referrer)
    holders = [lk["holder"] for lk in world.links(subnet["id"])]
    holders += [u["id"] for u in world.users_of(subnet["id"]) if u["type"] != AGW_TYPE]
    if holders:
        raise bad_request("ApplicationGatewaySubnetCannotHaveOtherResources",
                          f"Subnet {subnet['id']} cannot be used for application gateway {agw_id} since it has other "
                          "resources deployed. Subnet used for application gateway can only have other application "
                          "gateways.")
    if prop(subnet["body"], "properties.delegations"):
        raise bad_request("ApplicationGatewaySubnetCannotHaveDelegations",
                          f"Subnet {subnet['body']['name']} cannot have delegations configured.")
    nsg = world.get(str(prop(subnet["body"], "properties.networkSecurityGroup.id", "")))
    if nsg is not None and str(prop(props, "sku.name", "")).lower() in V2_SKUS and not _admits_manager(nsg):
        raise bad_request("ApplicationGatewaySubnetInboundTrafficBlockedByNetworkSecurityGroup",
                          f"Network security group {nsg['id']} blocks incoming internet traffic on ports 65200 - 65535 "
                          f"to subnet {subnet['id']}, associated with Application Gateway {agw_id}. This is not "
                          "permitted for Application Gateways that have V2 Sku.")


_MANAGER_PORTS = (65200, 65535)
_MANAGER_SOURCES = {"*", "any", "internet", "gatewaymanager"}


def _port_spans(rule: Json) -> list[tuple[int, int]]:
    specs = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "*")]
    spans = []
    for spec in specs:
        text = str(spec)
        if text in ("*", ""):
            spans.append((0, 65535))
        else:
            low, _, high = text.partition("-")
            spans.append((int(low), int(high or low)))
    return spans


def _admits_manager(nsg: Json) -> bool:
    """Whether inbound TCP 65200-65535 from the gateway manager passes, the first matching rule deciding."""
    rules = [r.get("properties") or {} for r in (prop(nsg["body"], "properties.securityRules", []) or []) +
             (prop(nsg["body"], "properties.defaultSecurityRules", []) or [])]
    for rule in sorted(rules, key=lambda r: int(r.get("priority", 65500))):
        sources = {str(s).lower() for s in rule.get("sourceAddressPrefixes") or [rule.get("sourceAddressPrefix")]}
        if str(rule.get("direction", "")).lower() != "inbound" or not sources & _MANAGER_SOURCES or \
                str(rule.get("protocol", "*")).lower() not in ("*", "tcp"):
            continue
        spans = _port_spans(rule)
        if not any(low <= _MANAGER_PORTS[1] and high >= _MANAGER_PORTS[0] for low, high in spans):
            continue
        if str(rule.get("access", "")).lower() != "allow":
            return False
        if any(low <= _MANAGER_PORTS[0] and high >= _MANAGER_PORTS[1] for low, high in spans):
            return True
    return False


def _check_frontends(world: World, agw_id: str, props: Json, sku: str) -> None:
    for config in items(props, "frontendIPConfigurations"):
        referrer = f"{agw_id}/frontendIPConfigurations/{config.get('name')}"
        pip_id = ref_id(prop(config, "properties.publicIPAddress"))
        if pip_id:
            pip = world.get(pip_id)
            if pip is None or pip["type"] != PIP_TYPE:
                raise invalid_reference(pip_id, referrer)
            if sku in V2_SKUS and str(prop(pip["body"], "sku.name", "Basic")).lower() != "standard":
                raise bad_request("ApplicationGatewayInvalidPublicIpSku",
                                  f"Application gateway {agw_id} with SKU {prop(props, 'sku.name')} can only reference "
                                  "public ip with Standard SKU.")
        elif prop(config, "properties.privateIPAddress") or prop(config, "properties.subnet"):
            method = str(prop(config, "properties.privateIPAllocationMethod", "Dynamic"))
            if sku in V2_SKUS and method.lower() != "static":
                raise bad_request("ApplicationGatewayFrontendIpPrivateIpAddressInvalidAllocationType",
                                  f"FrontendIpConfiguration {referrer} of Application Gateway with SKU tier "
                                  f"{prop(props, 'sku.tier')} can only use PrivateIPAddress with IpAllocationMethod "
                                  "as Static.")


def _check_listeners(agw_id: str, props: Json) -> None:
    for listener in items(props, "httpListeners"):
        if str(prop(listener, "properties.protocol", "")).lower() == "https" and \
                not ref_id(prop(listener, "properties.sslCertificate")):
            raise bad_request("ApplicationGatewayHttpsListenerMustReferenceSslCert",
                              f"Http Listener {agw_id}/httpListeners/{listener.get('name')} uses protocol Https. Ssl "
                              "Certificate must be specified.")


def _check_rules(agw_id: str, props: Json, api_version: str) -> None:
    rules = items(props, "requestRoutingRules")
    with_priority = [r for r in rules if prop(r, "properties.priority") is not None]
    if api_version >= PRIORITY_REQUIRED_FROM:
        for rule in rules:
            if prop(rule, "properties.priority") is None:
                raise bad_request(
                    "ApplicationGatewayRequestRoutingRulePriorityCannotBeEmpty",
                    f"Priority for the request routing rule {agw_id}/requestRoutingRules/{rule.get('name')} cannot "
                    f"be empty. All request routing rules should have a priority defined starting from api-version "
                    f"{PRIORITY_REQUIRED_FROM}")
    elif with_priority and len(with_priority) != len(rules):
        raise bad_request("ApplicationGatewayRequestRoutingRulePartialPriorityDefined",
                          "Either all or no rule should have the priority specified.")
    seen: dict[int, str] = {}
    for rule in rules:
        p, name = prop(rule, "properties"), str(rule.get("name"))
        priority = p.get("priority")
        if priority is not None and priority in seen:  # modelled code
            raise bad_request("ApplicationGatewayRequestRoutingRulesWithSamePriority",
                              f"Request routing rules {seen[priority]} and {name} have the same priority {priority}.")
        if priority is not None:
            seen[priority] = name
        backend = ref_id(p.get("backendAddressPool")) or ref_id(p.get("backendHttpSettings"))
        redirect = ref_id(p.get("redirectConfiguration"))
        if str(p.get("ruleType", "Basic")).lower() == "basic" and \
                (not ref_id(p.get("httpListener")) or bool(backend) == bool(redirect)):
            raise bad_request("ApplicationGatewayRequestRoutingRuleIsInvalid",  # modelled code
                              f"Request routing rule {agw_id}/requestRoutingRules/{name} of type Basic needs an http "
                              "listener and either a backend address pool with backend http settings or a redirect "
                              "configuration.")


def _range(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and low <= value <= high


def _check_settings_and_probes(agw_id: str, props: Json) -> None:
    for settings in items(props, "backendHttpSettingsCollection"):
        p, where = prop(settings, "properties") or {}, f"{agw_id}/backendHttpSettingsCollection/{settings.get('name')}"
        if not _range(p.get("port"), 1, 65535):
            raise bad_request("ApplicationGatewayBackendHttpSettingsPortIsInvalid",  # modelled code
                              f"Port {p.get('port')} specified for BackendHttpSettings {where} is not valid. Supported "
                              "range is [1, 65535].")
        if p.get("requestTimeout") is not None and not _range(p.get("requestTimeout"), 1, 86400):
            raise bad_request("ApplicationGatewayBackendHttpSettingsRequestTimeoutIsInvalid",  # modelled code
                              f"Request timeout specified for BackendHttpSettings {where} is not valid. Supported "
                              "range is [1, 86400].")
    for probe in items(props, "probes"):
        p, where = prop(probe, "properties") or {}, f"{agw_id}/probes/{probe.get('name')}"
        for field, low, high in (("interval", 1, 86400), ("timeout", 1, 86400), ("unhealthyThreshold", 0, 20)):
            if p.get(field) is not None and not _range(p.get(field), low, high):
                title = field[0].upper() + field[1:]
                raise bad_request(f"ApplicationGatewayProbe{title}IsInvalid",
                                  f"{title.replace('Threshold', ' threshold')} specified for Probe {where} is not "
                                  f"valid. Supported range is [{low}, {high}].")
        if _range(p.get("interval"), 1, 86400) and _range(p.get("timeout"), 1, 86400) and \
                p["timeout"] > p["interval"]:
            raise bad_request("ApplicationGatewayProbeTimeoutIsInvalid",  # modelled; interval >= timeout
                              f"Timeout {p['timeout']} of Probe {where} must not exceed its interval {p['interval']}.")
        if not str(p.get("path", "/")).startswith("/"):
            raise bad_request("ApplicationGatewayProbePathIsInvalid",  # modelled; "Valid path starts from '/'"
                              f"Path {p.get('path')} specified for Probe {where} is not valid: it must start with '/'.")
        if bool(p.get("host")) == bool(p.get("pickHostNameFromBackendHttpSettings")):
            raise bad_request("ApplicationGatewayProbeHostIsInvalid",  # modelled code
                              f"Probe {where} needs either a host or pickHostNameFromBackendHttpSettings, not both.")
