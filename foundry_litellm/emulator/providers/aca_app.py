"""Microsoft.App/containerApps: apps in a managed environment, with revisions, ingress and secrets.

Sources: ContainerApps.json (2026-01-01): PUT 200/201 long-running (final state via Azure-AsyncOperation),
DELETE 200/202/204 via Location; the examples give ``<app>.<environment default domain>`` as ingress FQDN.
Changes to ``template`` create a new revision, ``configuration`` changes (ingress, secrets) do not (Learn
"revisions": revision-scope vs application-scope changes); revision names are ``<app>--<suffix>``. Secret values
are write-only: GET returns names (and Key Vault references), ``listSecrets`` the values. A Key Vault reference
the app's identity cannot read fails the PUT at once with InvalidParameterValueInContainerTemplate
(microsoft/azure-container-apps#1159, #930; a fresh deployment that assigns the role just before fails,
Azure-Samples/apim-genai-gateway-toolkit#3). An app needs its environment provisioned
(ManagedEnvironmentNotProvisioned, microsoft/azure-container-apps#1208). Creation takes 18-45 s (peers §4).
"""

from __future__ import annotations

import copy
import re
import secrets as pysecrets
import string
from typing import TYPE_CHECKING

from ..arm import patch_resource
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule, Provider, prop
from ..wire import Fault, Request, Response, json_body
from ..world import World
from . import kvaccess, reach
from .aca_common import (
    APP_TYPE,
    ENV_TYPE,
    VERSIONS,
    app_environment_id,
    drop_nulls,
    infrastructure_subnet,
    is_workload_profiles,
    template_error,
    with_nulls,
)
from .aca_template import apply_defaults, check_template
from .common import system_data

if TYPE_CHECKING:
    from ..armpath import ArmRef
    from ..provider import ArmCalls

_SECRET_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def _secret_name_error(name: str) -> ArmError:
    # CompositionalIT/farmer#1136
    return bad_request("ContainerAppInvalidSecretName",
                       f"Secret name has an invalid value '{name}'. A value must consist of lower case alphanumeric "
                       "characters, '-', and must start and end with an alphanumeric character. The length must not "
                       "be more than 253 characters.")


def _kv_error(name: str, identity: str) -> ArmError:
    # microsoft/azure-container-apps#930, #1159: the wording Azure uses, whatever the cause.
    return bad_request(
        "InvalidParameterValueInContainerTemplate",
        "The following field(s) are either invalid or missing. Field 'configuration.secrets' is invalid with "
        f"details: 'Invalid value: \"{name}\": Unable to get value using Managed identity {identity} for secret "
        f"{name}. Error: unable to fetch secret '{name}' using Managed identity '{identity}'';.")


def new_revision_suffix() -> str:
    return "".join(pysecrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


INGRESS_UPDATE = 8.0  # seconds an update that changes the ingress takes (the recording above: 5-10 s)


class ContainerApp(Provider):
    type = APP_TYPE
    api_versions = VERSIONS
    put_style = "async"
    delete_style = "async+location"
    # Recording containerapp/test_containerapp_e2e.yaml: a create is InProgress at 8-10 s and Succeeded at 14 s; an
    # update that adds ingress is InProgress at 5 s and Succeeded at 10 s, one that does not is done within 3 s.
    durations = Durations(create=12, update=2.5, delete=15)
    creating_state = "InProgress"
    updating_state = "InProgress"
    deleting_state = "Deleting"
    top_level = ("tags", "identity", "kind", "managedBy", "extendedLocation")
    name_rule = NameRule(2, 32, r"[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]",
                         "A name must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                         "character, and end with an alphanumeric character and cannot have '--'")
    actions = {"listsecrets": "list_secrets"}

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        existing = arm.world.get(ref.key)
        if ref.action is not None or ref.is_collection:
            return None
        if req.method == "PUT":
            before = prop(existing["body"], "properties.latestRevisionName", "") if existing else ""
            return _put_answer(arm.put(ref, self, json_body(req), req.api_version or "", fault), before)
        if req.method != "PATCH" or existing is None:
            return None
        # PATCH merges into what GET shows, which has no secret values: secrets it restates keep theirs.
        merged = patch_resource(arm.world.render(existing), json_body(req))
        stored = existing["internal"].get("secrets") or {}
        for secret in prop(merged, "properties.configuration.secrets", []) or []:
            if "value" not in secret and not secret.get("keyVaultUrl") and secret.get("name") in stored:
                secret["value"] = stored[secret["name"]]
        return arm.put(ref, self, merged, req.api_version or "", fault, patch=True)

    def put_duration(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> float:
        if existing is None:
            return self.durations.create
        ingress = prop(body, "properties.configuration.ingress") or None
        changed = ingress != (prop(existing["body"], "properties.configuration.ingress") or None)
        return INGRESS_UPDATE if changed else self.durations.update

    # --- validation ------------------------------------------------------------------------------------
    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        # A null setting is an absent one: `az containerapp create` sends "secrets": null, "resources": null,
        # "scale": null... and gets 201 (Azure CLI recording containerapp/test_containerapp_e2e.yaml).
        body["properties"] = drop_nulls(body["properties"])
        env = _environment(world, body)
        if existing is not None and app_environment_id(existing["body"]).lower() != env["id"].lower():
            raise template_error("environmentId", f"Invalid value: \"{env['id']}\": the environment of an app cannot "
                                 "change")
        props = body["properties"]
        max_cpu = _profile_max_cpu(env, props.get("workloadProfileName"))
        secrets = prop(props, "configuration.secrets", []) or []
        _check_secrets(world, body, env, secrets)
        ingress = prop(props, "configuration.ingress")
        if ingress is not None:
            port = ingress.get("targetPort")
            if port is not None and not 1 <= int(port) <= 65535:
                raise template_error("configuration.ingress.targetPort", f"Invalid value: \"{port}\"")
        check_template(props.get("template") or {}, {s.get("name") for s in secrets}, max_cpu=max_cpu)

    # --- computed properties -----------------------------------------------------------------------------
    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        env = _environment(world, body)
        props = body["properties"]
        old = existing["body"]["properties"] if existing else {}
        props["environmentId"] = props["managedEnvironmentId"] = env["id"]
        config = props.setdefault("configuration", {})
        config.setdefault("activeRevisionsMode", "Single")
        values = {}
        for secret in config.get("secrets") or []:
            value = secret.pop("value", None)
            if value is not None:
                values[secret["name"]] = value
        body["_secret_values"] = values
        template = props.setdefault("template", {})
        template.setdefault("revisionSuffix", "")  # GET shows "" when none was asked for (recording containerapp_e2e)
        apply_defaults(template)
        if existing is None or template != old.get("template"):
            suffix = template.get("revisionSuffix") or new_revision_suffix()
            props["latestRevisionName"] = f"{ref.name}--{suffix}"  # Learn "revisions": <app>--<suffix>
            props["runningStatus"] = "Progressing" if existing is None else old.get("runningStatus", "Running")
        else:
            props["latestRevisionName"] = old["latestRevisionName"]
            props["runningStatus"] = old.get("runningStatus", "Running")
        props.pop("latestReadyRevisionName", None)  # read-only
        if old.get("latestReadyRevisionName"):
            props["latestReadyRevisionName"] = old["latestReadyRevisionName"]
        domain = _domain_for(env, config.get("ingress"))
        if config.get("ingress") is not None:
            ingress = config["ingress"]
            ingress.setdefault("external", False)
            ingress.setdefault("transport", "auto")  # as the ContainerApps_Get example shows it
            ingress.setdefault("allowInsecure", False)
            ingress.setdefault("exposedPort", 0)  # recording containerapp/test_containerapp_e2e.yaml
            ingress.setdefault("traffic", [{"weight": 100, "latestRevision": True}])
            ingress["fqdn"] = f"{ref.name}.{domain}"
            props["latestRevisionFqdn"] = f"{props['latestRevisionName']}.{domain}"
        else:
            props["latestRevisionFqdn"] = ""  # as GET shows an app without ingress (recording containerapp_e2e)
        props["customDomainVerificationId"] = \
            prop(env["body"], "properties.customDomainConfiguration.customDomainVerificationId", "")
        props["outboundIpAddresses"] = [prop(env["body"], "properties.staticIp")] \
            if not prop(env["body"], "properties.vnetConfiguration.internal") else []
        # Recording containerapp/test_containerapp_e2e.yaml: the app's own event stream, beside the environment's.
        props["eventStreamEndpoint"] = (f"https://{body['location']}.azurecontainerapps.dev/subscriptions/"
                                        f"{ref.subscription}/resourceGroups/{ref.resource_group}/containerApps/"
                                        f"{ref.name}/eventstream")

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"]["modified"] = world.now()  # systemData.lastModifiedAt
        values = record["body"].pop("_secret_values")
        stored = record["internal"].get("secrets") or {}
        names = [s["name"] for s in prop(record["body"], "properties.configuration.secrets", []) or []
                 if not s.get("keyVaultUrl")]
        record["internal"]["secrets"] = {n: values.get(n, stored.get(n)) for n in names}
        revisions = record["internal"].setdefault("revisions", [])
        latest = record["body"]["properties"]["latestRevisionName"]
        if not revisions or revisions[-1]["name"] != latest:
            revisions.append({"name": latest, "created": world.now()})

    def completed(self, world: World, record: Json, op: Json) -> None:
        props = record["body"]["properties"]
        props["runningStatus"] = "Running"
        props["latestReadyRevisionName"] = props["latestRevisionName"]

    def render(self, world: World, record: Json) -> Json:
        body: Json = with_nulls(copy.deepcopy(record["body"]), _SKELETON)
        body["systemData"] = system_data(record)
        return body

    def list_secrets(self, world: World, ref: ArmRef, body: Json, record: Json) -> tuple[int, Json]:
        stored = record["internal"].get("secrets") or {}
        items = []
        for secret in prop(record["body"], "properties.configuration.secrets", []) or []:
            item = dict(secret)
            if secret["name"] in stored:
                item["value"] = stored[secret["name"]]
            items.append(item)
        return 200, {"value": items}


# The members GET shows whether set or not, null when unset (recording containerapp/test_containerapp_e2e.yaml,
# api-version 2022-06-01-preview: the RP serializes its whole model).
_SKELETON: Json = {"properties": {
    "workloadProfileType": None,
    "configuration": {"secrets": None, "activeRevisionsMode": None, "registries": None, "dapr": None,
                      "maxInactiveRevisions": None,
                      "ingress": {"fqdn": None, "external": None, "targetPort": None, "exposedPort": None,
                                  "transport": None, "traffic": None, "customDomains": None, "allowInsecure": None,
                                  "ipSecurityRestrictions": None}},
    "template": {"revisionSuffix": None, "containers": None, "initContainers": None, "volumes": None,
                 "scale": {"minReplicas": None, "maxReplicas": None, "rules": None}},
}}


def _put_answer(response: Response, before: str) -> Response:
    """What the PUT itself answers (recording containerapp/test_containerapp_e2e.yaml): 201 for an update too, and
    the revision the app had before the write ("" for a new app); the new revision shows on the next GET."""
    if response.status == 200:
        response.status = 201
    props = (response.body or {}).get("properties") if isinstance(response.body, dict) else None
    if isinstance(props, dict) and props.get("latestRevisionName") != before:
        fqdn = str(props.get("latestRevisionFqdn") or "")
        props["latestRevisionFqdn"] = f"{before}.{fqdn.split('.', 1)[1]}" if before and "." in fqdn else ""
        props["latestRevisionName"] = before
    return response


def _environment(world: World, body: Json) -> Json:
    env_id = app_environment_id(body)
    env = world.get(env_id) if env_id else None
    if env is None or env["type"] != ENV_TYPE:
        raise bad_request("ManagedEnvironmentNotFound", f"The managed environment '{env_id}' was not found.")
    if prop(env["body"], "properties.provisioningState") != "Succeeded":
        raise bad_request("ManagedEnvironmentNotProvisioned",
                          f"The environment '{env['id']}' has not been provisioned successfully.")
    return env


def _profile_max_cpu(env: Json, profile: str | None) -> float | None:
    """The per-replica CPU ceiling of the app's profile; None for Dedicated profiles (not checked)."""
    profiles = prop(env["body"], "properties.workloadProfiles", []) or []
    if not is_workload_profiles(env["body"]):
        if profile:
            raise template_error("workloadProfileName", f"Invalid value: \"{profile}\": a consumption-only "
                                 "environment has no workload profiles")
        return 2.0
    match = next((p for p in profiles if str(p.get("name", "")).lower() == str(profile or "consumption").lower()),
                 None)
    if match is None:
        raise template_error("workloadProfileName", f"Invalid value: \"{profile}\": the environment has no workload "
                             "profile of that name")
    return 4.0 if str(match.get("workloadProfileType", "")).lower() == "consumption" else None


def _check_secrets(world: World, body: Json, env: Json, secrets: list[Json]) -> None:
    invalid = [s.get("name", "") for s in secrets
               if s.get("value") is None and not (s.get("keyVaultUrl") and s.get("identity"))]
    for secret in secrets:
        name = str(secret.get("name", ""))
        if not _SECRET_NAME.fullmatch(name) or len(name) > 253:
            raise _secret_name_error(name)
    if invalid:
        raise bad_request("ContainerAppSecretInvalid",
                          f"Invalid Request: Container app secret(s) with name(s) '{', '.join(invalid)}' are invalid: "
                          "value or keyVaultUrl and identity should be provided.")
    subnet = infrastructure_subnet(env["body"])
    vnet = reach.vnet_of(subnet) if subnet else None
    for secret in secrets:
        if not secret.get("keyVaultUrl"):
            continue
        identity = str(secret["identity"])
        principal = _principal(body, identity)
        if principal is None or kvaccess.read_denied(world, principal, secret["keyVaultUrl"], at=world.now(),
                                                     from_vnet=vnet):
            raise _kv_error(secret["name"], identity)


def _principal(body: Json, identity: str) -> str | None:
    """The principal behind a secret's ``identity``: 'system' or a user-assigned identity given to the app."""
    ident = body.get("identity") or {}
    if identity.lower() == "system":
        return ident.get("principalId")
    for key, value in (ident.get("userAssignedIdentities") or {}).items():
        if key.lower() == identity.lower():
            return str(value.get("principalId"))
    return None


def _domain_for(env: Json, ingress: Json | None) -> str:
    domain = str(prop(env["body"], "properties.defaultDomain"))
    # An ingress limited to the environment gets an ".internal." name (Learn "ingress-overview").
    return f"internal.{domain}" if ingress is not None and not ingress.get("external") else domain
