"""Microsoft.CognitiveServices/accounts (the Foundry resource, kind AIServices) and its soft delete.

Sources: cognitiveservices.json 2025-09-01 and its examples (PUT 200/201/202; GetDeletedAccount.json for the
deleted-account shape); the Azure CLI's recordings against real Azure (tests/conformance/recordings/
cognitiveservices__*.yaml), which win over the spec's examples: DELETE answers 200 at once (DeleteAccount.json
says 202), a restore 201 Succeeded at once, and bodies carry systemData and the service properties. A deleted account
is only soft-deleted: re-creating it needs ``restore: true`` (FlagMustBeSetForRestore, Azure/azure-cli#18146) and
its subdomain stays taken until it is purged (CustomDomainInUse, microsoft/microsoft-foundry-for-vscode#52). With
an ``agent`` network injection the platform creates the account capability host ``<account>@aml_aiagentservice``
(foundry-samples PR #753, #312) and puts the ``legionservicelink`` service association link on the agent subnet;
the link goes only ~20 minutes after the account is deleted *and purged* (foundry-samples TESTING-GUIDE,
PR #276, #153).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from .. import registration
from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule, Provider
from ..wire import Fault, Request, Response, json_body
from ..world import World
from .common import system_data
from .foundry_common import (
    ACCOUNT_CAPHOST_TYPE,
    ACCOUNT_TYPE,
    ACCOUNT_VERSIONS,
    CAPHOST_TYPES,
    NAMESPACE,
    PROJECT_TYPE,
    SOFT_DELETE_KIND,
    AccountScoped,
    children_of,
    nested_error,
    now_iso,
)
from .privatelink import connections_to

if TYPE_CHECKING:
    from ..provider import ArmCalls

SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
# AmlRp compares the delegation's serviceName case-sensitively (Azure/bicep-ptn-aiml-landing-zone PR #111).
AGENT_DELEGATION = "Microsoft.App/environments"
LINK_NAME = "legionservicelink"
AGENT_NAMESPACES = ("Microsoft.App", "Microsoft.ContainerService")
# Stands for the Microsoft-owned subscription that holds the agent infrastructure behind the link.
PLATFORM_SUBSCRIPTION = "5e1f0a7c-0000-4000-8000-00000000a9e1"
PLATFORM_CAPHOST_SUFFIX = "@aml_aiagentservice"
_SUBDOMAIN = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}[a-zA-Z0-9])?")
_INVALID_VNET = ("The environment network configuration is invalid: Invalid vnet resource ID provided, or the "
                 "virtual network could not be found.")


class Account(AccountScoped):
    type = ACCOUNT_TYPE
    api_versions = ACCOUNT_VERSIONS
    # 0.2 of a PostgreSQL create; ~25 s-1 m 25 s observed (peers-and-pain-points §4).
    durations = Durations(create=54, update=30)
    put_style = "async"
    # Azure CLI recordings cognitiveservices/test_cognitiveservices_softdelete.yaml and _aiservices.yaml: DELETE
    # answers 200 at once, no body, no operation headers (not DeleteAccount.json's 202); the deleted account is
    # listed under deletedAccounts right away. The purge is what runs long (foundry_deleted.py).
    delete_style = "sync"
    name_rule = NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9_.-]*",
                         "letters, digits, '_', '.' and '-', starting with a letter or digit")
    top_level = ("tags", "identity", "kind", "sku")
    etag = True

    def handle(self, arm: ArmCalls, req: Request, ref: ArmRef, fault: Fault) -> Response | None:
        super().handle(arm, req, ref, fault)
        if req.method != "PUT" or ref.is_collection:
            return None
        body = json_body(req)
        restore = (body.get("properties") or {}).get("restore") is True and arm.world.get(ref.key) is None \
            and ref.key in arm.world.soft_deleted(SOFT_DELETE_KIND)
        # Azure CLI recording cognitiveservices/test_cognitiveservices_softdelete.yaml: a restore (restore: true)
        # answers 201 Succeeded at once, with no operation headers.
        response = arm.put(ref, self, body, req.api_version or "", fault, style="sync" if restore else None)
        _fail_broken_injection(arm.world, ref)
        return response

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        if existing is None and ref.key in world.soft_deleted(SOFT_DELETE_KIND) and props.get("restore") is not True:
            raise ArmError(409, "FlagMustBeSetForRestore",
                           f"An existing resource with ID '{ref.id}' has been soft-deleted. To restore the resource, "
                           "you must specify 'restore' to be 'true' in the property. If you don't want to restore "
                           "existing resource, please purge it first.")
        _check_subdomain(world, ref, props.get("customSubDomainName"))
        _check_project_management(body, existing)

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        props = body["properties"]
        restore = props.pop("restore", None) is True  # a request flag, never stored
        restored = world.soft_deleted(SOFT_DELETE_KIND).pop(ref.key, None) if existing is None and restore else None
        old: Json = (existing or {}).get("body", {}).get("properties") or (restored or {}).get("properties") or {}
        if restored is not None:  # the restored account comes back as it was (the recording's restore answer)
            for key, value in restored["body"].items():
                body.setdefault(key, copy.deepcopy(value))
            for key, value in old.items():
                if key not in _DELETED_ONLY:
                    props.setdefault(key, copy.deepcopy(value))
        props["internalId"] = old.get("internalId") or uuid.uuid4().hex
        props["dateCreated"] = old.get("dateCreated") or now_iso(world)
        for kept in ("associatedProjects", "defaultProject"):
            if kept in old and kept not in props:
                props[kept] = old[kept]
        sub = props.get("customSubDomainName")
        if sub:
            props["endpoint"] = f"https://{sub}.cognitiveservices.azure.com/"
            props["endpoints"] = _endpoints(sub)
        else:
            props["endpoint"] = f"https://{body['location'].lower()}.api.cognitive.microsoft.com/"
            props["endpoints"] = {}
        _service_properties(body, ref.name)

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        record["internal"]["modified"] = world.now()  # systemData.lastModifiedAt

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        body["systemData"] = system_data(record)
        body["properties"]["privateEndpointConnections"] = connections_to(world, record)
        return body

    def completed(self, world: World, record: Json, op: Json) -> None:
        if op["kind"] != "create" or not _agent_injections(record):
            return
        subnet_id = _agent_subnet(record)
        holder = legion_holder(record)
        if subnet_id and not any(lk["holder"] == holder for lk in world.links(subnet_id)):
            world.add_link(subnet_id, {"name": LINK_NAME, "holder": holder, "linked_type": AGENT_DELEGATION})
        _create_platform_caphost(world, record, subnet_id)

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        caphosts = [r["id"] for r in world.descendants(record["id"]) if r["type"] in CAPHOST_TYPES]
        if caphosts:
            return nested_error(caphosts)
        # ARM deletes a group's nested projects itself; a direct account DELETE is refused (azapi#894).
        projects = [r["id"] for r in children_of(world, record["id"], PROJECT_TYPE)]
        if projects and root.lower() == record["id"].lower():
            return nested_error(projects)
        return None

    def deleted(self, world: World, record: Json) -> None:
        body = record["body"]
        ref = world.ref_of(record)
        deleted_id = (f"/subscriptions/{ref.subscription}/providers/{NAMESPACE}/locations/{body['location']}/"
                      f"resourceGroups/{ref.resource_group}/deletedAccounts/{body['name']}")
        entry: Json = {
            "id": deleted_id, "accountId": record["id"], "subscription": ref.subscription,
            "resourceGroup": ref.resource_group, "name": body["name"], "location": body["location"],
            "deletionDate": now_iso(world),
            "body": {k: copy.deepcopy(body[k]) for k in ("kind", "sku", "tags", "etag", "identity") if k in body},
            "systemData": system_data(record),
            "properties": copy.deepcopy(body.get("properties") or {}),
        }
        if _agent_injections(record):
            entry["holder"] = legion_holder(record)
        world.soft_deleted(SOFT_DELETE_KIND)[record["id"].lower()] = entry


# Properties a deleted account shows that a restored one does not take back.
_DELETED_ONLY = frozenset({"provisioningState", "deletionDate", "scheduledPurgeDate", "privateEndpointConnections"})
# The Azure CLI recordings cognitiveservices/test_cognitiveservices_aiservices.yaml (kind AIServices, api-version
# 2025-06-01) and _softdelete.yaml (kind FormRecognizer, 2021-10-01): the read-only service properties of an
# account. Azure lists 113 rate-limit rules for AIServices; a few stand for them, with the recorded figures.
_RATE_RULES: dict[str, list[tuple[str, int, int, str, str]]] = {
    "aiservices": [("openai", 1, 30, "openai/*", "*"), ("api.projects.default", 1, 10000, "api/projects/*", "*"),
                   ("default", 1, 30, "*", "*")],
    "formrecognizer": [("formrecognizer.custom.train", 60, 1, "formrecognizer/custom/train", "*"),
                       ("container.billing", 10, 500, "billing/*", "*"), ("default", 1, 30, "*", "*")],
}
_DEFAULT_RULES = [("default", 1, 30, "*", "*")]
_CAPABILITIES: dict[str, list[Json]] = {
    "aiservices": [{"name": "VirtualNetworks"},
                   {"name": "TrustedServices",
                    "value": "Microsoft.CognitiveServices,Microsoft.MachineLearningServices,Microsoft.Search"},
                   {"name": "CustomerManagedKey"}, {"name": "MaxFineTuneCount", "value": "500"}],
}
# The endpoint names the AIServices recording lists besides those ``_endpoints`` gives a custom subdomain.
_AISERVICES_ENDPOINTS = (
    "OpenAI Moderations API", "OpenAI Whisper API", "OpenAI Model Scaleset API", "OpenAI Realtime API",
    "Token Service API", "Cohere AI API", "Mistral AI API", "Content Understanding", "Container", "Computer Vision",
    "FormRecognizer", "Speech Services Speech to Text", "Speech Services Speech to Text v3.2",
    "Speech Services Speech to Text 2024-05-15-preview", "Speech Services Speech to Text 2024-11-15",
    "Speech Services Speech to Text v3.2_internal.1", "Speech Services Custom Voice",
    "Speech Services Custom Voice Trial", "Video Translation", "Speech Services Audio Content Creation",
    "Speech Services Custom Avatar", "Speech Services Batch Avatar", "Speech Services Batch Text to Speech",
    "Speech Services Speech to Text (Standard)", "Speech Services Text to Speech (Neural)",
    "Speech Services Speaker Verification", "Speech Services Speaker Identification", "Voice Agent Realtime API",
    "Voice Live Realtime API", "Token", "Text Analytics", "Custom Text Authoring",
    "Conversational Language Understanding Authoring", "Custom Question Answering Authoring",
    "Custom Question Answering", "ConversationalLURuntime", "Language", "QnAMaker", "Turing", "QuestionAnswering",
    "LUIS", "TextTranslation", "DocumentTranslation", "CustomTranslator",
)


def _service_properties(body: Json, name: str) -> None:
    """The read-only properties Azure fills in for every account, by kind (the recordings above)."""
    props = body["properties"]
    kind = str(body.get("kind", ""))
    rules = _RATE_RULES.get(kind.lower(), _DEFAULT_RULES)
    props["callRateLimit"] = {"rules": [
        {"key": key, "renewalPeriod": period, "count": count, "dynamicThrottlingEnabled": False,
         "matchPatterns": [{"path": path, "method": method}]} for key, period, count, path, method in rules]}
    props["isMigrated"] = False
    props.setdefault("publicNetworkAccess", "Enabled")
    props["capabilities"] = copy.deepcopy(_CAPABILITIES.get(kind.lower(), [{"name": "VirtualNetworks"},
                                                                           {"name": "CustomerManagedKey"}]))
    if kind.lower() != "aiservices":
        props["endpoints"] = {kind: props["endpoint"]}
        return
    props.setdefault("apiProperties", {"qnaAzureSearchEndpointKey": None})
    endpoints = props["endpoints"]
    if not endpoints:  # no custom subdomain: the regional host, the Foundry API under the account's name
        endpoints.update({"AI Foundry API": f"https://{name}.services.ai.azure.com/",
                          **{k: props["endpoint"] for k in ("OpenAI Language Model Instance API", "OpenAI Dall-E API",
                                                           "OpenAI Sora API", "Azure AI Model Inference API",
                                                           "Content Safety")}})
    for key in _AISERVICES_ENDPOINTS:
        endpoints.setdefault(key, props["endpoint"])
    endpoints.setdefault("TextTranslation-Global", "https://api.cognitive.microsofttranslator.com/")


def legion_holder(record: Json) -> str:
    """The Microsoft-managed resource the subnet's ``legionservicelink`` points at (one per account)."""
    iid = record["body"]["properties"]["internalId"]
    return (f"/subscriptions/{PLATFORM_SUBSCRIPTION}/resourceGroups/legion-{iid}/providers/"
            f"{AGENT_DELEGATION}/legion-{iid[:12]}")


def _endpoints(sub: str) -> dict[str, str]:
    services = f"https://{sub}.services.ai.azure.com/"
    openai = f"https://{sub}.openai.azure.com/"
    return {"AI Foundry API": services, "Azure AI Model Inference API": services,
            "OpenAI Language Model Instance API": openai, "OpenAI Dall-E API": openai, "OpenAI Sora API": openai,
            "Content Safety": f"https://{sub}.cognitiveservices.azure.com/"}


def _check_subdomain(world: World, ref: ArmRef, sub: Any) -> None:
    if sub is None:
        return
    if not isinstance(sub, str) or not _SUBDOMAIN.fullmatch(sub):
        raise bad_request("CustomDomainInvalid", f"Sub domain name '{sub}' is not valid.")  # foundry-for-vscode#121
    holders = [(r["id"], r["body"]["properties"]) for r in world.of_type(ACCOUNT_TYPE)]
    holders += [(e["accountId"], e["properties"]) for e in world.soft_deleted(SOFT_DELETE_KIND).values()]
    for owner, props in holders:
        if owner.lower() != ref.key and str(props.get("customSubDomainName", "")).lower() == sub.lower():
            raise ArmError(409, "CustomDomainInUse",
                           f"Please pick a different name. The subdomain name '{sub}' is not available as it's "
                           "already used by a resource. If the resource using the name was deleted in the last 48 "
                           "hours, you may need to purge the deleted resource.")


def _check_project_management(body: Json, existing: Json | None) -> None:
    # Project management needs an AIServices account with a managed identity and, once on, stays on
    # (hashicorp/terraform-provider-azurerm PR #30423 and PR #31063 mirror these service rules).
    wanted = body["properties"].get("allowProjectManagement") is True
    was = existing is not None and existing["body"]["properties"].get("allowProjectManagement") is True
    if was and not wanted:
        raise bad_request("BadRequest", "allowProjectManagement cannot be disabled once it has been enabled.",
                          target="properties.allowProjectManagement")
    if not wanted:
        return
    if str(body.get("kind", "")).lower() != "aiservices":
        raise bad_request("BadRequest", "allowProjectManagement is only supported for accounts of kind 'AIServices'.",
                          target="properties.allowProjectManagement")
    if str((body.get("identity") or {}).get("type", "None")).lower() == "none":
        raise bad_request("BadRequest", "An account with allowProjectManagement needs a managed identity "
                          "(SystemAssigned or UserAssigned).", target="identity")


def _agent_injections(record: Json) -> list[Json]:
    injections = record["body"]["properties"].get("networkInjections") or []
    return [i for i in injections if isinstance(i, dict) and i.get("scenario") == "agent"]


def _agent_subnet(record: Json) -> str | None:
    for injection in _agent_injections(record):
        subnet = injection.get("subnetArmId")
        if subnet:
            return str(subnet)
    return None


def _injection_problem(world: World, record: Json) -> str | None:
    """Why the platform cannot set up the agent subnet, or None."""
    if _agent_injections(record):
        # The Agent service runs on Container Apps: without these registrations the account is accepted and
        # fails later (foundry-samples#853, #254; peers-and-pain-points §2). The message is modelled.
        subscription = world.ref_of(record).subscription
        for namespace in AGENT_NAMESPACES:
            if registration.state(world, subscription, namespace) == "NotRegistered":
                return f"The subscription is not registered to use namespace '{namespace}'."
    for injection in _agent_injections(record):
        subnet_id = injection.get("subnetArmId")
        if not subnet_id and injection.get("useMicrosoftManagedNetwork") is True:
            continue
        subnet = world.get(str(subnet_id)) if subnet_id else None
        if subnet is None or subnet["type"] != SUBNET_TYPE:
            return _INVALID_VNET
        services = [(d.get("properties") or {}).get("serviceName") for d in
                    subnet["body"]["properties"].get("delegations") or []]
        if AGENT_DELEGATION not in services:
            return _INVALID_VNET  # bicep-ptn-aiml-landing-zone PR #111: undelegated reads as an invalid vnet
        holder = legion_holder(record)
        if any(lk["holder"] != holder for lk in world.links(subnet["id"])):
            return "Subnet already in use."  # foundry-samples TESTING-GUIDE, troubleshooting #1
    return None


def _fail_broken_injection(world: World, ref: ArmRef) -> None:
    """The PUT is accepted; the account's create fails minutes later when its capability host cannot be set up
    (Azure/bicep-ptn-aiml-landing-zone#110: ResourceProviderExtensionError from AmlRp, account Failed)."""
    record = world.get(ref.key)
    op = world.operations.get(record["op"] or "") if record else None
    if record is None or op is None or op["kind"] != "create" or op["fail"]:
        return
    problem = _injection_problem(world, record)
    if problem is None:
        return
    agent = {"Name": f"{record['body']['name']}{PLATFORM_CAPHOST_SUFFIX}", "Status": 5, "ErrorCode": "400",
             "Messages": [problem]}
    op["fail"] = {"code": "ResourceProviderExtensionError", "status": 400,
                  "message": "ExtendedErrorInfo:: Kind: AmlRp, Code: BadRequest Message: Capability host creation "
                             f"failed with agent messages: {json.dumps(agent)}"}


def _create_platform_caphost(world: World, record: Json, subnet_id: str | None) -> None:
    if children_of(world, record["id"], ACCOUNT_CAPHOST_TYPE):
        return
    name = f"{record['body']['name']}{PLATFORM_CAPHOST_SUFFIX}"
    caphost_id = f"{record['id']}/capabilityHosts/{name}"
    props: Json = {"capabilityHostKind": "Agents", "provisioningState": "Succeeded"}
    if subnet_id:
        props["customerSubnet"] = subnet_id
    world.store_record({"id": caphost_id, "type": ACCOUNT_CAPHOST_TYPE, "created": world.now(), "op": None,
                        "internal": {},
                        "body": {"id": caphost_id, "name": name, "type": ACCOUNT_CAPHOST_TYPE, "properties": props}})


PROVIDERS: list[Provider] = [Account()]
