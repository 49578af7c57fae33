"""Foundry projects (Microsoft.CognitiveServices/accounts/projects) and connections on accounts and projects.

Sources: cognitiveservices.json 2025-09-01 (projects: PUT 200/201/202 and DELETE 202 + azure-asyncoperation per
DeleteProject.json, but recorded real traffic shows both synchronous, see ``Project``; connections: synchronous
PUT 200 only, DELETE 200/204, credentials are secrets that GET never returns), CreateProjectMin.json
(``isDefault``, ``endpoints``), reference-inventory §1.9 (the project's
``internalId`` is 32 hex characters that deployments reformat as a GUID).
"""

from __future__ import annotations

import copy
import uuid

from ..armpath import ArmRef
from ..errors import ArmError, bad_request
from ..provider import Durations, Json, NameRule
from ..world import World
from .common import system_data
from .foundry_common import (
    ACCOUNT_CONNECTION_TYPE,
    FOUNDRY_VERSIONS,
    PROJECT_CAPHOST_TYPE,
    PROJECT_CONNECTION_TYPE,
    PROJECT_TYPE,
    AccountScoped,
    account_ref,
    children_of,
    nested_error,
)


class Project(AccountScoped):
    type = PROJECT_TYPE
    api_versions = FOUNDRY_VERSIONS
    # Azure CLI recording cognitiveservices/test_project_connections_from_file.yaml (2025-09-01): the PUT answers
    # 201 already Succeeded, with no operation header, some 8 s after it was sent; the DELETE answers 200 after
    # 14 s. Both are synchronous but slow: the answer is held that long (the update's figure is the create's).
    durations = Durations(create=8, update=8, delete=14)
    put_style = "held"
    delete_style = "held"
    name_rule = NameRule(2, 64, r"[a-zA-Z0-9][a-zA-Z0-9_.-]*",
                         "letters, digits, '_', '.' and '-', starting with a letter or digit")
    top_level = ("tags", "identity")
    etag = True

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        account = world.get(account_ref(ref).key)
        assert account is not None  # the generic layer checked the parent
        if account["body"]["properties"].get("allowProjectManagement") is not True:
            raise bad_request("BadRequest", f"Account '{account['body']['name']}' does not allow project management; "
                              "set properties.allowProjectManagement to true before creating projects.")

    def compute(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        account = world.get(account_ref(ref).key)
        assert account is not None
        props = body["properties"]
        old = (existing or {}).get("body", {}).get("properties", {})
        props["internalId"] = old.get("internalId") or uuid.uuid4().hex
        sub = account["body"]["properties"].get("customSubDomainName") or account["body"]["name"]
        props["endpoints"] = {"AI Foundry API": f"https://{sub}.services.ai.azure.com/api/projects/{ref.name}"}

    def committed(self, world: World, ref: ArmRef, record: Json, existing: Json | None) -> None:
        account = world.get(account_ref(ref).key)
        if existing is not None or account is None:
            return
        props = account["body"]["properties"]
        names = props.setdefault("associatedProjects", [])
        if ref.name not in names:
            names.append(ref.name)
        props.setdefault("defaultProject", ref.name)  # the first project becomes the default one

    def render(self, world: World, record: Json) -> Json:
        body: Json = copy.deepcopy(record["body"])
        account = world.get(account_ref(world.ref_of(record)).key)
        default = account["body"]["properties"].get("defaultProject") if account else None
        body["properties"]["isDefault"] = default == body["name"]
        # Azure CLI recording cognitiveservices/test_project_connections_from_file.yaml: the name is
        # "<account>/<project>", the kind the account's, and systemData is returned.
        if account is not None:
            body["name"] = f"{account['body']['name']}/{body['name']}"
            body["kind"] = account["body"].get("kind", "AIServices")
        body["systemData"] = system_data(record)
        return body

    def delete_blocker(self, world: World, record: Json, *, cascade: frozenset[str], root: str) -> ArmError | None:
        # A project's capability host must be deleted first (foundry-samples PR #251, deleteCaphost.sh).
        caphosts = [r["id"] for r in children_of(world, record["id"], PROJECT_CAPHOST_TYPE)]
        return nested_error(caphosts) if caphosts else None

    def deleted(self, world: World, record: Json) -> None:
        account = world.get(account_ref(world.ref_of(record)).key)
        if account is None:
            return
        props = account["body"]["properties"]
        names = [n for n in props.get("associatedProjects") or [] if n != record["body"]["name"]]
        props["associatedProjects"] = names
        if props.get("defaultProject") == record["body"]["name"]:
            props.pop("defaultProject")
            if names:
                props["defaultProject"] = names[0]


class _Connection(AccountScoped):
    api_versions = FOUNDRY_VERSIONS
    put_style = "sync"
    delete_style = "sync"
    create_status = 200  # the spec knows no 201 for connections
    location = "none"
    top_level = ()
    write_only = ("properties.credentials",)
    # The spec's pattern caps names at 33 characters, but the service takes longer ones: the reference deploys
    # "applicationInsights-for-ai-project-1" (36) through Bicep (reference-inventory §1.9).
    name_rule = NameRule(3, 128, r"[a-zA-Z0-9][a-zA-Z0-9_-]*",
                         "letters, digits, '_' and '-', starting with a letter or digit")

    def validate(self, world: World, ref: ArmRef, body: Json, existing: Json | None) -> None:
        if existing is not None:
            return
        # A second project reusing a connection name already registered in the account conflicts
        # (foundry-samples#263), hence the "-for-<project>" suffixes in the reference's names.
        account_id = account_ref(ref).key
        for other in (*world.of_type(ACCOUNT_CONNECTION_TYPE), *world.of_type(PROJECT_CONNECTION_TYPE)):
            if other["id"].lower().startswith(account_id + "/") and other["body"]["name"].lower() == ref.name.lower():
                raise ArmError(409, "Conflict",
                               f"A connection named '{ref.name}' is already registered in account "
                               f"'{account_ref(ref).name}' ({other['id']}); connection names must be unique across "
                               "the account and its projects.")


    def render(self, world: World, record: Json) -> Json:
        """As the recording of a project connection shows it (test_project_connections_from_file.yaml): no
        provisioningState, every property present (credentials null: they are never returned)."""
        body: Json = copy.deepcopy(record["body"])
        body.setdefault("tags", None)
        body.setdefault("location", None)
        props = body["properties"]
        props.pop("provisioningState", None)
        for key, value in _CONNECTION_DEFAULTS.items():
            props.setdefault(key, copy.deepcopy(value))
        body["systemData"] = system_data(record)
        return body


_CONNECTION_DEFAULTS: Json = {
    "credentials": None, "group": "Azure", "expiryTime": None, "useWorkspaceManagedIdentity": False,
    "isSharedToAll": False, "sharedUserList": [], "peRequirement": "NotRequired", "peStatus": "NotApplicable",
    "error": None, "isDefault": True, "metadata": {},
}


class AccountConnection(_Connection):
    type = ACCOUNT_CONNECTION_TYPE


class ProjectConnection(_Connection):
    type = PROJECT_CONNECTION_TYPE


PROVIDERS = [Project(), AccountConnection(), ProjectConnection()]
