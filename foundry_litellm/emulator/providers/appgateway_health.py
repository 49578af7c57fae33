"""Application Gateway backend health: what a probe from the gateway's subnet to each backend would see.

The probe resolves the backend from the gateway's VNet (``reach``), connects, and sends GET <path> with a Host
header; Up needs a status in the probe's match range (default 200-399). Messages are those of Learn
"application-gateway-backend-health-troubleshooting". The default probe uses the settings' protocol and port,
path "/" and host 127.0.0.1 unless the settings override the host name. Container Apps ingress listens on 80 and
443, answers 404 "Container App is stopped or does not exist" to a Host it does not serve
(microsoft/azure-container-apps#1240, #1298), redirects plain HTTP unless allowInsecure, serves
``*.<defaultDomain>`` certificates, and refuses public traffic when publicNetworkAccess is Disabled.
LiteLLM answers /health/liveliness, /health/liveness and /health/readiness without auth, /health only with a key
(litellm-notes §2), and serves its Swagger UI at "/" (docs_url "/").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..provider import Json, prop
from ..world import World
from . import reach
from .aca_common import APP_TYPE, ENV_TYPE, app_environment_id
from .appgateway_config import items, ref_id

DNS_ERROR = ("Application Gateway could not create a probe for this backend. This usually happens when the FQDN of "
             "the backend has not been entered correctly.")
CONNECT_ERROR = ("Application Gateway could not connect to the backend. Check that the backend responds on the port "
                 "used for the probe. Also check whether any NSG/UDR/Firewall is blocking access to the Ip and port of "
                 "this backend.")
CN_ERROR = ("The Common Name of the leaf certificate presented by the backend server does not match the Probe or "
            "Backend Setting hostname of the application gateway.")
LITELLM_PATHS = {"/health/liveliness": 200, "/health/liveness": 200, "/health/readiness": 200, "/": 200,
                 "/health": 401}


@dataclass(frozen=True)
class Probe:
    protocol: str
    port: int
    host: str
    path: str
    codes: tuple[str, ...]


def backend_health(world: World, agw: Json) -> Json:
    props = agw["body"]["properties"]
    vnet = reach.vnet_of(str(ref_id(prop(items(props, "gatewayIPConfigurations")[0], "properties.subnet"))))
    settings = {s["id"].lower(): s for s in items(props, "backendHttpSettingsCollection")}
    probes = {p["id"].lower(): p for p in items(props, "probes")}
    pairs: dict[str, list[str]] = {}
    for rule in items(props, "requestRoutingRules"):
        pool_id = ref_id(prop(rule, "properties.backendAddressPool"))
        settings_id = ref_id(prop(rule, "properties.backendHttpSettings"))
        if pool_id and settings_id and settings_id.lower() not in pairs.setdefault(pool_id.lower(), []):
            pairs[pool_id.lower()].append(settings_id.lower())
    result = []
    for pool in items(props, "backendAddressPools"):
        entries = []
        for setting_id in pairs.get(pool["id"].lower(), []):
            setting = settings[setting_id]
            probe = probes.get((ref_id(prop(setting, "properties.probe")) or "").lower())
            servers = [_server(world, vnet, address, setting, probe)
                       for address in prop(pool, "properties.backendAddresses", []) or []]
            entries.append({"backendHttpSettings": {"id": setting["id"]}, "servers": servers})
        result.append({"backendAddressPool": {"id": pool["id"]}, "backendHttpSettingsCollection": entries})
    return {"backendAddressPools": result}


def _server(world: World, vnet: str, address: Json, setting: Json, probe: Json | None) -> Json:
    target = str(address.get("fqdn") or address.get("ipAddress") or "")
    up, log = _outcome(world, vnet, target, bool(address.get("fqdn")), _probe(target, setting, probe))
    return {"address": target, "health": "Up" if up else "Down", "healthProbeLog": log}


def _probe(target: str, setting: Json, probe: Json | None) -> Probe:
    s = setting.get("properties") or {}
    settings_host = s.get("hostName") or (target if s.get("pickHostNameFromBackendAddress") else None)
    if probe is None:
        return Probe(str(s.get("protocol", "Http")), int(s.get("port", 80)), settings_host or "127.0.0.1", "/",
                     ("200-399",))
    p = probe.get("properties") or {}
    host = (settings_host or "127.0.0.1") if p.get("pickHostNameFromBackendHttpSettings") else str(p.get("host"))
    codes = tuple(prop(p, "match.statusCodes", None) or ("200-399",))
    return Probe(str(p.get("protocol", s.get("protocol", "Http"))), int(p.get("port") or s.get("port", 80)), host,
                 str(p.get("path", "/")), codes)


def _matches(status: int, codes: tuple[str, ...]) -> bool:
    for code in codes:
        low, _, high = code.partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


def _outcome(world: World, vnet: str, target: str, is_fqdn: bool, probe: Probe) -> tuple[bool, str]:
    env = _environment_of(world, target) if is_fqdn else None
    ips = [target] if not is_fqdn else list(_resolve(world, vnet, target, env).ips)
    if not ips:
        return False, DNS_ERROR
    env, via_public = _owner(world, vnet, ips[0], env)
    if env is None or probe.port not in (80, 443):
        return False, CONNECT_ERROR
    status = _status(world, env, probe, via_public)
    if status is None:
        return False, CN_ERROR
    if _matches(status, probe.codes):
        return True, f"Success. Received {status} status code"
    return False, (f"Status code of the backend's HTTP response did not match the probe setting. "
                   f"Expected:{','.join(probe.codes)} Received:{status}.")


def _environment_of(world: World, fqdn: str) -> Json | None:
    name = fqdn.lower()
    for env in world.of_type(ENV_TYPE):
        domain = str(prop(env["body"], "properties.defaultDomain", "")).lower()
        if domain and name.endswith("." + domain):
            return env
    return None


def _resolve(world: World, vnet: str, fqdn: str, env: Json | None) -> reach.Answer:
    if env is None:
        return reach.resolve(world, vnet, fqdn, privatelink=[], public=[], has_endpoint=False)
    props = env["body"]["properties"]
    prefix, _, region_suffix = str(props["defaultDomain"]).partition(".")
    head = fqdn.lower()[: -len(props["defaultDomain"]) - 1]
    privatelink = [f"{head}.{prefix}.privatelink.{region_suffix}", f"{prefix}.privatelink.{region_suffix}"]
    # An internal environment's names exist only in private zones (Learn "vnet-custom-internal").
    public = [] if prop(props, "vnetConfiguration.internal") or not props.get("staticIp") else [props["staticIp"]]
    return reach.resolve(world, vnet, fqdn, privatelink=privatelink, public=public,
                         has_endpoint=bool(reach.endpoints_to(world, env["id"])))


def _owner(world: World, vnet: str, ip: str, hint: Json | None) -> tuple[Json | None, bool]:
    """The environment answering at ``ip`` from ``vnet``, and whether the traffic went over its public address."""
    if reach.is_private(ip) and not reach.in_vnet(world, vnet, ip):
        return None, False  # no peering: another VNet's private address is unreachable
    candidates = [hint] if hint is not None else list(world.of_type(ENV_TYPE))
    for env in candidates:
        props = env["body"]["properties"]
        if props.get("staticIp") == ip:
            internal = bool(prop(props, "vnetConfiguration.internal"))
            return env, not internal
        if any(reach.endpoint_answers(world, pe, ip) for pe in reach.endpoints_to(world, env["id"])):
            return env, False
    return None, False


def _status(world: World, env: Json, probe: Probe, via_public: bool) -> int | None:
    """The HTTP status the environment's ingress answers; None when the TLS name check fails."""
    props = env["body"]["properties"]
    if via_public and str(props.get("publicNetworkAccess", "Enabled")).lower() == "disabled":
        return 403
    domain = str(props["defaultDomain"]).lower()
    host = probe.host.lower()
    if probe.protocol.lower() == "https" and not host.endswith("." + domain):
        return None
    app = _app_for_host(world, env, host)
    if app is None:
        return 404
    config = prop(app["body"], "properties.configuration") or {}
    if probe.protocol.lower() == "http" and not prop(config, "ingress.allowInsecure"):
        return 301
    return _app_answer(app, probe.path)


def _app_for_host(world: World, env: Json, host: str) -> Json | None:
    for app in world.of_type(APP_TYPE):
        props = app["body"]["properties"]
        if app_environment_id(app["body"]).lower() != env["id"].lower():
            continue
        names = {str(prop(props, "configuration.ingress.fqdn", "")).lower(),
                 str(props.get("latestRevisionFqdn", "")).lower()}
        external = prop(props, "configuration.ingress.external")
        if host in names and external and props.get("provisioningState") == "Succeeded" and \
                props.get("runningStatus") == "Running":
            return app
    return None


def _app_answer(app: Json, path: str) -> int:
    containers = prop(app["body"], "properties.template.containers", []) or []
    if any("litellm" in str(c.get("image", "")).lower() for c in containers):
        return LITELLM_PATHS.get(path.split("?", 1)[0], 404)
    probed = {str(prop(p, "httpGet.path", "")) for c in containers for p in c.get("probes") or []}
    return 200 if path.split("?", 1)[0] in probed else 404
