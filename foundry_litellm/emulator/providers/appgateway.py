"""Microsoft.Network/applicationGateways (v2), with its backend health action.

Sources: applicationGateway.json (2025-05-01): PUT 200/201 long-running (final state via Azure-AsyncOperation),
DELETE 200/202/204 via Location, PATCH (tags only) synchronous, POST backendhealth 200/202 via Location (the
example ApplicationGatewayBackendHealthGet.json answers 202 with a Location header; servers report
Up/Down/Unknown). Durations: create ~7.5 min (7 m 39 s TF log, peers §4), updates minutes long (listener changes
20+ min, Azure/azure-cli#2134), a certificate the gateway's identity cannot read from Key Vault fails the write
only after 25-30 min with ApplicationGatewayKeyVaultSecretException / ...AccessDenied
(hashicorp/terraform-provider-azurerm#12910; wording from MicrosoftDocs/azure-docs#33157 and Azure/azure-cli#15011)
and leaves the gateway Failed. The gateway holds its subnet and public IPs until it is gone.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from typing import TYPE_CHECKING

from ..errors import not_found
from ..provider import Durations, Json, LateFailure, NameRule, Provider, prop
from ..wire import Fault, Request, Response, json_body
from ..world import World
from . import appgateway_config as config
from . import kvaccess, reach
from .appgateway_health import backend_health
from .network import VERSIONS

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

KV_FAILURE_SECONDS = 27 * 60.0
HEALTH_SECONDS = 20.0  # nominal seconds a backend health query takes
SUB_RESOURCES = (
    "gatewayIPConfigurations", "authenticationCertificates", "trustedRootCertificates", "trustedClientCertificates",
    "sslCertificates", "frontendIPConfigurations", "frontendPorts", "probes", "backendAddressPools",
    "backendHttpSettingsCollection", "backendSettingsCollection", "httpListeners", "listeners", "sslProfiles",
    "urlPathMaps", "requestRoutingRules", "routingRules", "rewriteRuleSets", "redirectConfigurations",
    "privateLinkConfigurations", "loadDistributionPolicies", "entraJWTValidationConfigs",
)


class ApplicationGateway(Provider):
    type = config.AGW_TYPE
    api_versions = VERSIONS
    put_style = "async"
    # Recording network/test_network_app_gateway_no_wait.yaml: DELETE answers 202 with no body, as every Network
    # resource does; GETs show Deleting for one to two minutes, then 404.
    delete_style = "async+location+accepted"
    creating_state = "Updating"  # the Network RP reports Updating while it creates
    etag = True
    top_level = ("tags", "zones", "identity")
    # delete: the recording above shows it Deleting 90 s after the DELETE and gone at 120 s.
    durations = Durations(create=450, update=360, delete=105)
    name_rule = NameRule(1, 80, r"[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9_])?",
                         "letters, digits, '.', '-' and '_', starting with a letter or digit and ending with a "
                         "letter, digit or '_'")

    def __init__(self) -> None:
        self._api_version = ""  # of the write being handled (all writes run under the store lock)

    # --- requests ----------------------------------------------------------------------------------------
    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        if ref.action is not None and ref.action.lower() == "backendhealth" and req.method == "POST":
            return self._backend_health(arm, req, ref)
        if ref.action is not None or ref.is_collection:
            return None
        if req.method == "PATCH":
            return self._update_tags(arm, req, ref)
        if req.method == "PUT":
            self._api_version = req.api_version or ""
        return None

    def _update_tags(self, arm: ArmCalls, req: Request, ref: ArmRef) -> Response:
        record = arm.world.get(ref.key)
        if record is None:
            raise not_found(self.type, ref.name, ref.resource_group)
        tags = json_body(req).get("tags")
        if isinstance(tags, dict):
            record["body"]["tags"] = tags
        return Response(200, arm.world.render(record))

    def _backend_health(self, arm: ArmCalls, req: Request, ref: ArmRef) -> Response:
        world = arm.world
        record = world.get(ref.key)
        if record is None:
            raise not_found(self.type, ref.name, ref.resource_group)
        now = world.now()
        op: Json = {"id": str(uuid.uuid4()), "resource": f"{record['id']}/backendHealth", "type": self.type,
              "kind": "action", "status": "InProgress", "start": now, "due": now + world.scaled(HEALTH_SECONDS),
              "busy": [], "fail": None, "stall": False, "error": None, "end": None,
              "result": backend_health(world, record)}
        world.operations[op["id"]] = op
        headers = {"Location": arm.operation_url(record, op, "operationResults", req.api_version or ""),
                   **arm.retry_after(op)}
        return Response(202, None, headers)

    # --- hooks -------------------------------------------------------------------------------------------
    def late_failure(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> LateFailure | None:
        """A certificate the gateway's identities cannot read when the write is done: the write fails after the RP
        has retried for KV_FAILURE_SECONDS."""
        done = world.now() + world.scaled(self.put_duration(world, ref, body, existing))
        url = _certificate_denied(world, body, _vnet_of_body(body), at=done)
        if url is None:
            return None
        message = (f"Problem occured while accessing and validating KeyVault Secrets associated with Application "
                   f"Gateway '{ref.id}'. See details below: ApplicationGatewayKeyVaultSecretAccessDenied: Access "
                   f"denied for KeyVault Secret '{url}' for Application Gateway '{ref.id}'. Make sure that Identity "
                   "assigned to Application Gateway has access to the KeyVault associated with secret.")
        return LateFailure(KV_FAILURE_SECONDS, {"code": "ApplicationGatewayKeyVaultSecretException",
                                                "message": message, "status": 400})

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        config.check(world, body["id"], body, self._api_version or max(VERSIONS))

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        old = existing["body"]["properties"] if existing else {}
        props["resourceGuid"] = old.get("resourceGuid") or str(uuid.uuid4())
        props["operationalState"] = old.get("operationalState") or "Starting"
        props.setdefault("defaultPredefinedSslPolicy", "AppGwSslPolicy20220101")
        certs: dict[str, Json] = {}
        for cert in config.items(props, "sslCertificates"):
            p = cert.setdefault("properties", {})
            data, password = p.pop("data", None), p.pop("password", None)
            if data is not None:
                certs[cert["name"]] = {"data": data, "password": password}
                p["publicCertData"] = base64.b64encode(hashlib.sha256(str(data).encode()).digest()).decode()
        body["_certificates"] = certs
        for collection in SUB_RESOURCES:
            for item in config.items(props, collection):
                item["id"] = f"{body['id']}/{collection}/{item.get('name')}"
                item["type"] = f"{self.type}/{collection}"
                item["etag"] = body["etag"]
        for settings in config.items(props, "backendHttpSettingsCollection"):
            p = settings.setdefault("properties", {})
            p.setdefault("cookieBasedAffinity", "Disabled")
            p.setdefault("pickHostNameFromBackendAddress", False)
            p.setdefault("requestTimeout", 20)  # the service default (MicrosoftDocs/azure-docs#27797)
        for frontend in config.items(props, "frontendIPConfigurations"):
            frontend.setdefault("properties", {}).setdefault("privateIPAllocationMethod", "Dynamic")

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        certs = record["body"].pop("_certificates")
        old = record["internal"].get("certificates") or {}
        names = {c.get("name") for c in config.items(record["body"]["properties"], "sslCertificates")}
        record["internal"]["certificates"] = {n: certs.get(n) or old[n] for n in names if n in certs or n in old}

    def completed(self, world: World, record: Json, op: Json) -> None:
        record["body"]["properties"]["operationalState"] = "Running"

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        state = body["properties"].get("provisioningState")
        for collection in SUB_RESOURCES:
            for item in config.items(body["properties"], collection):
                item.setdefault("properties", {})["provisioningState"] = state
        return body

    def blocking_refs(self, record: Json) -> list[str]:
        props = record["body"].get("properties") or {}
        refs = [config.ref_id(prop(c, "properties.subnet")) for c in config.items(props, "gatewayIPConfigurations")]
        refs += [config.ref_id(prop(c, "properties.publicIPAddress"))
                 for c in config.items(props, "frontendIPConfigurations")]
        return [r for r in refs if r]


def _vnet_of_body(body: Json) -> str | None:
    configs = config.items(body.get("properties") or {}, "gatewayIPConfigurations")
    subnet = config.ref_id(prop(configs[0], "properties.subnet")) if configs else None
    return reach.vnet_of(subnet) if subnet else None


def _certificate_denied(world: World, body: Json, vnet: str | None, *, at: float) -> str | None:
    """The first Key Vault certificate the gateway's user-assigned identities cannot read, or None."""
    principals = []
    for uai in prop(body, "identity.userAssignedIdentities", {}) or {}:
        record = world.get(uai)
        if record is not None:
            principals.append(str(prop(record["body"], "properties.principalId")))
    for cert in config.items(body.get("properties") or {}, "sslCertificates"):
        url = prop(cert, "properties.keyVaultSecretId")
        if url and not any(kvaccess.read_denied(world, p, url, at=at, from_vnet=vnet) is None for p in principals):
            return str(url)
    return None


PROVIDERS: list[Provider] = [ApplicationGateway()]
