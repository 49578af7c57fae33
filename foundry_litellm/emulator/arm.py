"""Generic Azure Resource Manager semantics, shared by every provider.

PUT creates (201) or updates (200) and starts a long-running operation in the style the type's real resource
provider uses; GET renders; DELETE answers 202 and removes the resource when the operation is due, or 204 when
it was already gone; lists page through ``value``. Writes to a resource, or to a resource locked by another
write in flight (a subnet while its VNet is written), get 409 ``AnotherOperationInProgress``; the other forms of
that refusal are chosen per case as the Network RP answers them (``contention``).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from .. import regions
from . import registration
from .armpath import ArmRef, parse
from .errors import (
    ArmError,
    another_operation,
    bad_request,
    group_not_found,
    not_found,
    parent_not_found,
    referenced_not_provisioned,
)
from .provider import Json, Provider, ProviderRegistry
from .wire import Fault, Request, Response, error_response, iso, json_body, retry_headers
from .world import TENANT_ID, World

OPERATION_TYPES = ("operationstatuses", "operationresults")
VNET_TYPE = "microsoft.network/virtualnetworks"
SUBNET_TYPE = "microsoft.network/virtualnetworks/subnets"
# Types whose write joins the subnets its body names (gateway IP configurations, delegated subnets, the agent
# subnet's network injection). Other bodies name subnets only as references (network rules) and do not wait.
JOINS_SUBNETS = frozenset({"microsoft.network/applicationgateways", "microsoft.dbforpostgresql/flexibleservers",
                           "microsoft.app/managedenvironments", "microsoft.cognitiveservices/accounts"})
# A subnet id anywhere in such a body.
SUBNET_ID = re.compile(r"/subscriptions/[^/\"]+/resourcegroups/[^/\"]+/providers/microsoft\.network/"
                       r"virtualnetworks/[^/\"]+/subnets/[^/\"]+", re.IGNORECASE)


class Arm:
    def __init__(self, world: World, providers: ProviderRegistry, *, base_url: str, validator: Any = None) -> None:
        self.world = world
        self.providers = providers  # the world knows them only as its hooks
        self.base_url = base_url
        self.validator = validator  # specs.Validator or None

    # --- entry point -------------------------------------------------------------------------------------
    def handle(self, req: Request, fault: Fault | None = None) -> Response:
        provider_route = registration.route(req.path)
        if provider_route is not None:
            try:
                return registration.handle(self.world, req, *provider_route)
            except ArmError as err:
                return error_response(err)
        ref = parse(req.path, method=req.method)
        if ref is None:
            return error_response(ArmError(404, "InvalidResourceNamespace", f"No route for '{req.path}'."))
        try:
            if ref.namespace:
                registration.require_registered(self.world, ref.subscription, ref.namespace)
            if ref.namespace and len(ref.types) >= 2 and ref.types[-2].lower() == "locations" \
                    and ref.types[-1].lower() in OPERATION_TYPES and len(ref.names) == 2:
                return self._operation(req, ref)
            if ref.namespace is None:
                return self._group_route(req, ref, fault or Fault())
            provider = self._provider(ref)
            self._check_api_version(req, provider)
            return self._dispatch(req, ref, provider, fault or Fault())
        except ArmError as err:
            return error_response(err)

    def _dispatch(self, req: Request, ref: ArmRef, provider: Provider, fault: Fault) -> Response:
        custom = provider.handle(self, req, ref, fault)
        if custom is not None:
            return custom
        if ref.action is not None:
            return self._action(req, ref, provider)
        if ref.is_collection:
            if req.method != "GET":
                raise ArmError(405, "MethodNotAllowed", f"{req.method} is not allowed on a collection.")
            return self._list(ref)
        if req.method in ("GET", "HEAD"):
            return self._get(ref, head=req.method == "HEAD")
        if req.method == "PUT":
            return self.put(ref, provider, self._json_body(req), req.api_version or "", fault)
        if req.method == "PATCH":
            existing = self._require(ref, "write")
            merged = patch_resource(self.world.render(existing), self._patch_body(req, ref))
            return self.put(ref, provider, merged, req.api_version or "", fault, patch=True,
                            style=provider.patch_style)
        if req.method == "DELETE":
            return self.delete(ref, provider, req.api_version or "", fault, req.query)
        raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported.")

    # --- lookups -----------------------------------------------------------------------------------------
    def _provider(self, ref: ArmRef) -> Provider:
        provider = self.providers.get(ref.type)
        if provider is None:
            raise bad_request(
                "InvalidResourceType",
                f"The resource type '{'/'.join(ref.types)}' could not be found in the namespace "
                f"'{ref.namespace}'.",
            )
        return provider

    def _check_api_version(self, req: Request, provider: Provider) -> None:
        version = req.api_version
        if not version:
            raise bad_request("MissingApiVersionParameter",
                              "The api-version query parameter (?api-version=) is required for all requests.")
        if version not in provider.api_versions:
            supported = ", ".join(sorted(provider.api_versions, reverse=True))
            raise bad_request(
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are '{supported}'.",
            )

    def _check_scope(self, ref: ArmRef, action: str) -> None:
        """The group and the parent must exist: ResourceGroupNotFound / ParentResourceNotFound."""
        if ref.namespace is None:
            return
        if ref.resource_group is not None:
            group_key = f"/subscriptions/{ref.subscription}/resourcegroups/{ref.resource_group}"
            group = self.world.get(group_key)
            if group is None:
                raise group_not_found(ref.resource_group)
            if action == "write" and group.get("op") and self.world.operations[group["op"]]["kind"] == "delete":
                raise ArmError(409, "ResourceGroupBeingDeleted",
                               f"The resource group '{ref.resource_group}' is in deprovisioning state and cannot "
                               "perform this operation.")
        if ref.is_extension and self.world.get(ref.scope) is None:
            raise parent_not_found(action, ref.type, ref.scope)
        parent = ref.parent()
        if parent is not None and self.world.get(parent.key) is None:
            raise parent_not_found(action, "/".join(ref.types), parent.id)

    def _require(self, ref: ArmRef, action: str) -> Json:
        self._check_scope(ref, action)
        record = self.world.get(ref.key)
        if record is None:
            raise not_found(ref.type, "/".join(ref.names), ref.resource_group)
        return record

    def _json_body(self, req: Request) -> Json:
        return json_body(req)

    def _patch_body(self, req: Request, ref: ArmRef) -> Json:
        """A PATCH body, checked in strict mode against the spec's PATCH schema (a TagsObject for most types):
        the merged result is not, since it holds the read-only properties of the rendered resource."""
        body = self._json_body(req)
        if self.validator is not None:
            self.validator.validate("patch", ref, req.api_version or "", body)
        return body

    # --- GET / list --------------------------------------------------------------------------------------
    def _get(self, ref: ArmRef, *, head: bool = False) -> Response:
        record = self._require(ref, "read")
        return Response(200 if not head else 204, None if head else self.world.render(record))

    def _list(self, ref: ArmRef) -> Response:
        if ref.resource_group is not None:
            self._check_scope(ref, "read")
        if ref.names:  # a child collection: the parent must exist
            parent = ArmRef(ref.subscription, ref.resource_group, ref.scope, ref.namespace,
                            ref.types[: len(ref.names)], ref.names)
            if self.world.get(parent.key) is None:
                raise not_found(parent.type, "/".join(parent.names), ref.resource_group)
        prefix = (ref.id if ref.names else ref.scope).lower() + "/"
        type_ = ref.type.lower()
        items = [self.world.render(r) for key, r in sorted(self.world.resources.items())
                 if r["type"].lower() == type_ and key.startswith(prefix)]
        return Response(200, {"value": items})

    # --- PUT ---------------------------------------------------------------------------------------------
    def put(self, ref: ArmRef, provider: Provider, body: Json, api_version: str, fault: Fault,
            *, patch: bool = False, style: str | None = None) -> Response:
        """A PUT of ``body``, or with ``patch`` a PATCH merged into the resource (``body``: the merged result, which
        the spec's PUT schema does not apply to; it takes the type's update duration, not ``put_duration``)."""
        style = style or provider.put_style
        self._check_scope(ref, "write")
        if provider.name_rule is not None:
            provider.name_rule.check(provider.type, ref.name)
        existing = self.world.get(ref.key)
        if not patch and self.validator is not None:
            self.validator.validate("put", ref, api_version, body)
        busy = provider.busy_keys(self.world, ref)
        active = self.world.in_flight(busy)
        if active is not None:
            raise self.contention(ref, active)
        stored = self._build_body(ref, provider, body, existing)
        provider.validate(self.world, ref, stored, existing)
        late = None if patch else provider.late_failure(self.world, ref, body, existing)
        if late is not None:
            fault = Fault(fail=fault.fail or late.error, stall=fault.stall)
        if patch:
            seconds = provider.durations.update if existing is not None else provider.durations.create
        else:
            seconds = provider.put_duration(self.world, ref, body, existing)
        fault = self._joined_subnet_busy(ref, provider, stored, fault)
        if style in ("sync", "held"):
            _fail_now(fault)  # no operation to fail later: the request itself fails, nothing is written
        provider.compute(self.world, ref, stored, existing)
        internal = dict(existing["internal"]) if existing else {}
        for path in provider.write_only:
            value = _pop_path(stored, path)
            if value is not None:
                internal[path] = value
        record = existing if existing is not None else {
            "id": stored["id"], "type": provider.type, "created": self.world.now(), "op": None,
        }
        record["body"] = stored
        record["internal"] = internal
        kind = "update" if existing is not None else "create"
        self.world.store_record(record)
        provider.committed(self.world, ref, record, existing)
        status = 200 if existing is not None else provider.create_status
        if style == "sync" or (style != "held" and seconds <= 0 and not fault.fail and not fault.stall):
            stored.setdefault("properties", {})["provisioningState"] = "Succeeded"
            provider.completed(self.world, record, {"kind": kind})
            return Response(status, self.world.render(record))
        state = provider.updating_state if existing is not None else provider.creating_state
        stored.setdefault("properties", {})["provisioningState"] = state
        op = self.world.start_operation(record, kind=kind, seconds=seconds, busy=busy,
                                        fail=fault.fail, stall=fault.stall)
        if late is not None:  # the failure comes when the RP gives up, whatever the write would have taken
            op["due"] = op["start"] + self.world.scaled(late.seconds)
        if style == "held":
            key = record["id"]
            return self._held(op, lambda: self._answer_when_done(key, status))
        return self._lro_response(style, status, record, op, api_version)

    def _held(self, op: Json, answer: Callable[[], Response]) -> Response:
        """The answer to a synchronous write, given once ``op`` is done (no operation URL: the client waits on its
        request; a stalled operation holds it until released, by when the client may be gone)."""
        op["held"] = True
        return Response(0, held=(op["id"], answer))

    def contention(self, ref: ArmRef, active: Json) -> ArmError:
        """How a write finds another operation holding what it needs, in the form the Network RP uses there."""
        if active["type"].lower() != SUBNET_TYPE or ref.type.lower() in (VNET_TYPE, SUBNET_TYPE):
            # The resource itself, its VNet or a sibling subnet (azurerm#3780, bicep#5132). A VNet PUT may also
            # get 429 RetryableError / RetryableErrorDueToAnotherOperation (cluster-api-provider-azure#4385): a
            # fault rule produces that form on demand, the default stays the form the suite was built on.
            return another_operation(ref.id, active["id"])
        # An endpoint whose subnet is written (terraform-provider-azurerm#21293, terraform#7986).
        err = referenced_not_provisioned(active["resource"], ref.id, operation_name(active))
        err.headers.update(self.retry_after(active))
        return err

    def _joined_subnet_busy(self, ref: ArmRef, provider: Provider, stored: Json, fault: Fault) -> Fault:
        """A write that joins a subnet another operation is writing, where the write does not lock the subnet.

        The Network RP (App Gateway) refuses it at once with 429; the other RPs (PostgreSQL, Container Apps,
        the Foundry account) accept it and join the subnet inside their own operation, which then ends Failed
        with the same error (terraform-provider-azurerm#30197).
        """
        if ref.type.lower() not in JOINS_SUBNETS:
            return fault
        for subnet in sorted({m.group(0).lower() for m in SUBNET_ID.finditer(json.dumps(stored))}):
            active = self.world.in_flight({subnet})
            if active is None:
                continue
            err = referenced_not_provisioned(active["resource"], ref.id, operation_name(active), status=409)
            if provider.type.lower().startswith("microsoft.network/"):
                err.status = 429
                err.headers.update(self.retry_after(active))
                raise err
            if fault.fail:
                return fault
            return Fault(fail={"code": err.code, "message": err.message, "details": err.details,
                               "status": err.status}, stall=fault.stall)
        return fault

    def _build_body(self, ref: ArmRef, provider: Provider, body: Json, existing: Json | None) -> Json:
        """The stored body: identity fields from the path, accepted top-level keys, the properties."""
        rid = canonical_id(ref, provider)
        stored: Json = {"id": rid, "name": ref.name, "type": provider.type}
        self._apply_location(ref, provider, body, existing, stored)
        for key in provider.top_level:
            if key in body:
                stored[key] = copy.deepcopy(body[key])
        if "tags" in stored:
            check_tags(stored)
        if "identity" in stored:
            stored["identity"] = self._identity(stored["identity"], existing)
        stored["properties"] = copy.deepcopy(body.get("properties") or {})
        if provider.etag:
            stored["etag"] = f'W/"{uuid.uuid4()}"'
        return stored

    def _apply_location(self, ref: ArmRef, provider: Provider, body: Json, existing: Json | None,
                        stored: Json) -> None:
        if provider.location == "none":
            return
        if provider.location == "inherit":
            parent = ref.parent()
            record = self.world.get(parent.key) if parent else None
            if record is not None and "location" in record["body"]:
                stored["location"] = record["body"]["location"]
            return
        location = body.get("location")
        if not isinstance(location, str) or not location:
            raise bad_request("LocationRequired", "The location property is required for this definition.",
                              target="location")
        normalized = regions.normalize(location)
        valid = normalized == "global" if provider.location == "global" else normalized in regions.REGIONS
        if not valid:
            raise bad_request(
                "LocationNotAvailableForResourceType",
                f"The provided location '{location}' is not available for resource type '{provider.type}'.",
                target="location",
            )
        if existing is not None and existing["body"].get("location") not in (None, normalized):
            raise bad_request(
                "InvalidResourceLocation",
                f"The resource '{ref.name}' already exists in location '{existing['body']['location']}' in "
                f"resource group '{ref.resource_group}'. A resource with the same name cannot be created in "
                f"location '{normalized}'. Please select a new resource name.",
            )
        stored["location"] = normalized

    def _identity(self, identity: Any, existing: Json | None) -> Json:
        if not isinstance(identity, dict) or not isinstance(identity.get("type"), str):
            raise bad_request("InvalidIdentity", "The identity type is required.", target="identity")
        kinds = {t.strip().lower() for t in identity["type"].split(",")}
        result: Json = {"type": identity["type"]}
        old = (existing or {}).get("body", {}).get("identity") or {}
        if "systemassigned" in kinds:
            result["principalId"] = old.get("principalId") or str(uuid.uuid4())
            result["tenantId"] = TENANT_ID
            if not old.get("principalId"):
                self.world.register_principal(result["principalId"])
        if "userassigned" in kinds:
            assigned: Json = {}
            for uai in identity.get("userAssignedIdentities") or {}:
                record = self.world.get(uai)
                if record is None or record["type"].lower() != "microsoft.managedidentity/userassignedidentities":
                    raise bad_request(
                        "FailedIdentityOperation",
                        f"Identity operation for resource failed: the user assigned identity '{uai}' was not "
                        "found.",
                        target="identity.userAssignedIdentities",
                    )
                props = record["body"]["properties"]
                assigned[record["id"]] = {"principalId": props["principalId"], "clientId": props["clientId"]}
            result["userAssignedIdentities"] = assigned
        return result

    def _lro_response(self, style: str, status: int, record: Json, op: Json, api_version: str) -> Response:
        headers = self.retry_after(op)
        if "async" in style:
            headers["Azure-AsyncOperation"] = self.operation_url(record, op, "operationStatuses", api_version)
        if "location" in style:
            headers["Location"] = self.operation_url(record, op, "operationResults", api_version)
        if style == "location" or "accepted" in style:  # "accepted": 202 with no body (PostgreSQL flexible)
            return Response(202, None, headers)
        return Response(status, self.world.render(record), headers)

    # --- DELETE ------------------------------------------------------------------------------------------
    def delete(self, ref: ArmRef, provider: Provider, api_version: str, fault: Fault,
               query: dict[str, str] | None = None) -> Response:
        self._check_scope_for_delete(ref)
        record = self.world.get(ref.key)
        if record is None:
            return Response(204)
        busy = provider.busy_keys(self.world, ref)
        active = self.world.in_flight(busy)
        if active is not None:
            if active["kind"] == "delete" and active["resource"].lower() == ref.key:
                if provider.delete_style == "held":  # the same wait as the first DELETE's
                    return self._held(active, lambda: Response(200))
                return self._lro_response(_delete_style(provider), 202, record, active, api_version)
            raise another_operation(ref.id, active["id"])
        self.check_deletable(record)
        if provider.delete_style in ("sync", "held"):
            _fail_now(fault)
        provider.deleting(self.world, record, query or {})
        seconds = provider.delete_duration(self.world, record)
        if provider.delete_style == "sync" or (provider.delete_style != "held" and seconds <= 0 and not fault.fail
                                               and not fault.stall):
            self.world.remove(record)
            return Response(200)
        record["body"].setdefault("properties", {})["provisioningState"] = provider.deleting_state
        op = self.world.start_operation(record, kind="delete", seconds=seconds, busy=busy,
                                        fail=fault.fail, stall=fault.stall)
        if provider.delete_style == "held":
            return self._held(op, lambda: Response(200))
        return self._lro_response(_delete_style(provider), 202, record, op, api_version)

    def _answer_when_done(self, key: str, status: int) -> Response:
        record = self.world.get(key)
        return Response(status, self.world.render(record)) if record is not None else Response(404)

    def _check_scope_for_delete(self, ref: ArmRef) -> None:
        if ref.resource_group is not None:
            group_key = f"/subscriptions/{ref.subscription}/resourcegroups/{ref.resource_group}"
            if self.world.get(group_key) is None:
                raise group_not_found(ref.resource_group)

    def _provider_of(self, record: Json) -> Provider:
        provider = self.providers.get(record["type"])
        assert provider is not None, record["type"]
        return provider

    def check_deletable(self, record: Json) -> None:
        """Raise the first blocker among ``record`` and what is nested under it."""
        doomed = [record, *self.world.descendants(record["id"])]
        cascade = frozenset(r["id"].lower() for r in doomed)
        for item in doomed:
            provider = self._provider_of(item)
            blocker = provider.delete_blocker(self.world, item, cascade=cascade, root=record["id"])
            if blocker is not None:
                raise blocker
            for user in self.world.users_of(item["id"]):
                if user["id"].lower() not in cascade:
                    raise provider.in_use_error(item, user)

    # --- POST actions ----------------------------------------------------------------------------------------
    def _action(self, req: Request, ref: ArmRef, provider: Provider) -> Response:
        assert ref.action is not None
        method = provider.actions.get(ref.action.lower())
        if method is None:
            raise bad_request("InvalidAction", f"The action '{ref.action}' is not supported on '{ref.type}'.")
        record = self._require(ref, "action")
        status, body = getattr(provider, method)(self.world, ref, self._json_body(req), record)
        return Response(status, body)

    # --- resource groups -------------------------------------------------------------------------------------
    def _group_route(self, req: Request, ref: ArmRef, fault: Fault) -> Response:
        provider = self.providers.get("Microsoft.Resources/resourceGroups")
        assert provider is not None
        self._check_api_version(req, provider)
        if ref.resource_group is None:
            if ref.types and req.method == "GET":
                groups = [self.world.render(r) for r in self.world.of_type(provider.type)
                          if r["id"].lower().startswith(f"/subscriptions/{ref.subscription}/".lower())]
                return Response(200, {"value": groups})
            raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported here.")
        record = self.world.get(ref.key)
        if req.method in ("GET", "HEAD"):
            if record is None:
                raise group_not_found(ref.resource_group)
            return Response(204 if req.method == "HEAD" else 200, None if req.method == "HEAD" else
                            self.world.render(record))
        if req.method == "PUT":
            return self.put(ref, provider, self._json_body(req), req.api_version or "", fault)
        if req.method == "PATCH":
            if record is None:
                raise group_not_found(ref.resource_group)
            merged = patch_resource(self.world.render(record), self._patch_body(req, ref))
            return self.put(ref, provider, merged, req.api_version or "", fault, patch=True)
        if req.method == "DELETE":
            if record is None:
                raise group_not_found(ref.resource_group)
            return self.delete(ref, provider, req.api_version or "", fault)
        raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported.")

    # --- operations -----------------------------------------------------------------------------------------------
    def operation_url(self, record: Json, op: Json, kind: str, api_version: str) -> str:
        ref = self.world.ref_of(record)
        namespace = ref.namespace or "Microsoft.Resources"
        location = record["body"].get("location") or "global"
        return (f"{self.base_url}/subscriptions/{ref.subscription}/providers/{namespace}/locations/{location}/"
                f"{kind}/{op['id']}?api-version={api_version}")

    def retry_after(self, op: Json) -> dict[str, str]:
        """When to poll again: the provider's interval, scaled, but no later than the operation is due."""
        provider = self.providers.get(op["type"])
        nominal = self.world.scaled(provider.poll_seconds if provider else 10.0)
        remaining = op["due"] - self.world.now()
        value = min(nominal, remaining) if remaining > 0 and not op["stall"] else nominal
        return retry_headers(value)

    def _operation(self, req: Request, ref: ArmRef) -> Response:
        op = self.world.operations.get(ref.names[-1])
        if op is None:
            raise ArmError(404, "OperationNotFound", f"The operation '{ref.names[-1]}' was not found.")
        kind = ref.types[-1].lower()
        if kind == "operationstatuses":
            body: Json = {"id": ref.id, "name": op["id"], "status": op["status"], "startTime": iso(op["start"])}
            headers = {}
            if op["status"] == "InProgress":
                headers.update(self.retry_after(op))
            else:
                body["endTime"] = iso(op["end"])
            if op["error"]:
                body["error"] = operation_error(op)
            return Response(200, body, headers)
        if op["status"] == "InProgress":
            headers = {"Location": f"{self.base_url}{ref.id}?api-version={req.api_version}", **self.retry_after(op)}
            return Response(202, None, headers)
        if op["status"] == "Failed":
            status = int(op["fail"].get("status") or 500)
            return Response(status, {"error": operation_error(op)})
        if op.get("result") is not None:  # the answer of a long-running POST action (App Gateway backend health)
            return Response(200, op["result"])
        record = self.world.get(op["resource"])
        if op["kind"] == "delete" or record is None:
            return Response(204)
        return Response(200, self.world.render(record))


def canonical_id(ref: ArmRef, provider: Provider) -> str:
    """The id as Azure spells it: canonical type names, the caller's resource names."""
    if ref.namespace is None:
        return ref.scope
    namespace, *types = provider.type.split("/")
    parts = [ref.scope, "providers", namespace]
    for type_, name in zip(types, ref.names, strict=True):
        parts += [type_, name]
    return "/".join(parts)


# ARM's reserved characters in tag names (InvalidTagNameCharacters: "have reserved characters '<,>,%,&,\\,?,/' or
# control characters", Azure/azure-resource-manager-rpc PR #71 and the Azure CLI's tag docs).
_TAG_NAME_RESERVED = re.compile(r"[<>%&\\?/\x00-\x1f\x7f]")


def check_tags(stored: Json) -> None:
    """ARM's own rules for ``tags``, the same for every type; normalizes ``stored["tags"]`` in place.

    ``"tags": null`` is no tags (Azure CLI recording containerapp/test_containerapp_e2e.yaml: ``containerapp create``
    sends it and gets 201). ARM reads each value as a string (Json.NET ``ReadAsString``): a number or boolean is
    taken as its JSON text, an object or array fails deserialization (InvalidRequestContent, "Error reading string.
    Unexpected token: StartObject. Path 'tags.dummy'", Azure/azure-sdk-for-java#1891). Limits and codes as ARM
    words them (Az.Migrate's copy of ARM's checks): at most 50 tags (InvalidTags), names 1-512 characters
    (InvalidTagName) without reserved characters (InvalidTagNameCharacters), values up to 256 (InvalidTagValueLength).
    """
    tags = stored["tags"]
    if tags is None:
        del stored["tags"]
        return
    if not isinstance(tags, dict):
        raise bad_request("InvalidRequestContent", "The request content was invalid and could not be deserialized: "
                          f"'Unexpected token when reading tags: {type(tags).__name__}. Path 'tags''.")
    if len(tags) > 50:
        raise bad_request("InvalidTags", f"Too many tags specified. Requested tag count - '{len(tags)}'. Maximum "
                          "number of tags allowed - '50'.", target="tags")
    normalized: dict[str, str] = {}
    for name, value in tags.items():
        if isinstance(value, dict | list):
            token = "StartObject" if isinstance(value, dict) else "StartArray"
            raise bad_request("InvalidRequestContent", "The request content was invalid and could not be "
                              f"deserialized: 'Error reading string. Unexpected token: {token}. Path 'tags.{name}'.'.")
        if value is None:  # not covered by the sources: the emulator's earlier rule, kept
            raise bad_request("InvalidTagValue", f"The value of tag '{name}' must not be null.", target="tags")
        normalized[name] = value if isinstance(value, str) else json.dumps(value)
    bad = [n for n in normalized if _TAG_NAME_RESERVED.search(n)]
    if bad:
        raise bad_request("InvalidTagNameCharacters", f"The tag names '{', '.join(bad)}' have reserved characters "
                          "'<,>,%,&,\\,?,/' or control characters.", target="tags")
    if any(not n.strip() for n in normalized):
        raise bad_request("InvalidTagName", "The tag name must be non-null, non-empty and non-whitespace only. Please "
                          "provide an actual value.", target="tags")
    long_names = [n for n in normalized if len(n) > 512]
    if long_names:
        raise bad_request("InvalidTagName", f"Tag key too large. Following tag name '{', '.join(long_names)}' "
                          "exceeded the maximum length. Maximum allowed length for tag name - '512' characters.",
                          target="tags")
    long_values = [v for v in normalized.values() if len(v) > 256]
    if long_values:
        raise bad_request("InvalidTagValueLength", f"Tag value too large. Following tag value "
                          f"'{', '.join(long_values)}' exceeded the maximum length. Maximum allowed length for tag "
                          "value - '256' characters.", target="tags")
    stored["tags"] = normalized


def _fail_now(fault: Fault) -> None:
    """A fault asks a synchronous write to fail: answer with the error at once."""
    if fault.fail:
        raise ArmError(int(fault.fail.get("status") or 500), fault.fail["code"], fault.fail["message"],
                       details=fault.fail.get("details"))


def operation_error(op: Json) -> Json:
    """The error of a failed operation, with the details its failure carried (bicep#5132,
    terraform-provider-azurerm#30197: ``{"status": "Failed", "error": {"code", "message", "details"}}``)."""
    error: Json = dict(op["error"])
    details = (op.get("fail") or {}).get("details")
    if details:
        error["details"] = list(details)
    return error


def operation_name(op: Json) -> str:
    """The Network RP's name of an operation, as its errors quote it: PutSubnetOperation, DeletePrivateEndpoint..."""
    leaf = str(op["type"]).rsplit("/", 1)[-1]
    noun = leaf[:1].upper() + (leaf[1:-1] if leaf.endswith("s") else leaf[1:])
    return f"{'Delete' if op['kind'] == 'delete' else 'Put'}{noun}Operation"


def _delete_style(provider: Provider) -> str:
    return provider.delete_style if provider.delete_style != "sync" else "location"


def _pop_path(body: Json, dotted: str) -> Any:
    *parents, leaf = dotted.split(".")
    node: Any = body
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return node.pop(leaf, None) if isinstance(node, dict) else None


def patch_resource(current: Json, patch: Json) -> Json:
    """What PATCH does to an ARM resource: a JSON merge, except that ``tags`` is replaced as a whole (ARM
    patches at the granularity of the tags attribute, Azure/azure-powershell#12003; merging tags is what the
    separate Tags API's ``Merge`` operation is for)."""
    merged: Json = merge_patch(copy.deepcopy(current), patch)
    if isinstance(patch.get("tags"), dict):
        merged["tags"] = copy.deepcopy(patch["tags"])
    return merged


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 merge: what PATCH does to an ARM resource."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target
