"""Resource provider registration: a subscription can use a namespace only once it is registered to it.

Sources: Learn "Azure resource providers and types" (registration is per subscription; a few providers are
registered by default, the rest when someone registers them; code should not wait for 'Registering' to end before
creating resources); resources.json (Providers_Get, Providers_List, Providers_Register: POST answers 200 with the
provider); the error body of an unregistered namespace, on reads as on writes (Azure/msrestazure-for-python#53,
microsoft/vscode-apimanagement#457 on a read); azure-mgmt-core's ARMAutoResourceProviderRegistrationPolicy, which
answers that 409 by registering and polling every 10 s without a bound (azure-sdk-notes §2).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ArmError, bad_request
from .wire import Json, Request, Response
from .world import World

# Registered in every subscription (Learn "Resource providers for Azure services", "registered by default").
DEFAULT_REGISTERED = frozenset(ns.lower() for ns in (
    "Microsoft.Authorization", "Microsoft.ClassicSubscription", "Microsoft.Commerce", "Microsoft.Consumption",
    "Microsoft.CostManagement", "Microsoft.Features", "Microsoft.MarketplaceOrdering", "Microsoft.Portal",
    "Microsoft.ResourceGraph", "Microsoft.Resources", "Microsoft.SerialConsole", "Microsoft.Support",
))
# Namespaces the emulated Azure offers without a resource type of ours (the Agent service's dependencies).
EXTRA_NAMESPACES = ("Microsoft.ContainerService",)
PROFILES = ("new", "all")  # a new subscription, or one where every namespace is already registered
REGISTRATION_SECONDS = 120.0  # estimate: Learn says registration "can take a few minutes"
API_VERSIONS = frozenset({"2016-02-01", "2019-10-01", "2020-06-01", "2021-04-01", "2022-09-01", "2024-03-01",
                          "2024-07-01", "2024-11-01", "2025-03-01", "2025-04-01"})
_ROUTE = re.compile(r"^/subscriptions/([^/]+)/providers(?:/([^/]+)(?:/(register|unregister))?)?/?$", re.I)


def route(path: str) -> tuple[str, str | None, str | None] | None:
    """(subscription, namespace, action) for a provider registration path; None for any other path."""
    match = _ROUTE.match(path)
    if match is None:
        return None
    return match.group(1), match.group(2), (match.group(3) or "").lower() or None


def namespaces(world: World) -> dict[str, str]:
    """lower-cased -> canonical spelling of every namespace the emulator serves."""
    names = {p.type.split("/", 1)[0] for p in world.registry.all()} | set(EXTRA_NAMESPACES)
    return {n.lower(): n for n in sorted(names)}


def state(world: World, subscription: str, namespace: str) -> str:
    entry = _entries(world).get(_key(subscription, namespace))
    if entry is None:
        registered = world.registration_profile == "all" or namespace.lower() in DEFAULT_REGISTERED
        return "Registered" if registered else "NotRegistered"
    if entry["state"] == "Registering" and world.now() >= entry["due"]:
        return "Registered"
    return str(entry["state"])


def require_registered(world: World, subscription: str, namespace: str) -> None:
    """Azure answers every request to an unregistered namespace, read or write, with this 409."""
    if state(world, subscription, namespace) in ("Registered", "Registering"):
        return
    canonical = namespaces(world).get(namespace.lower(), namespace)
    message = (f"The subscription is not registered to use namespace '{canonical}'. See "
               "https://aka.ms/rps-not-found for how to register subscriptions.")
    raise ArmError(409, "MissingSubscriptionRegistration", message,
                   details=[{"code": "MissingSubscriptionRegistration", "target": canonical, "message": message}])


def handle(world: World, req: Request, subscription: str, namespace: str | None, action: str | None) -> Response:
    if (req.api_version or "") not in API_VERSIONS:
        raise bad_request("InvalidApiVersionParameter", f"The api-version '{req.api_version}' is invalid. The "
                          f"supported versions are '{', '.join(sorted(API_VERSIONS, reverse=True))}'.")
    known = namespaces(world)
    if namespace is None:
        if req.method != "GET":
            raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported here.")
        return Response(200, {"value": [_body(world, subscription, n) for n in known.values()]})
    if namespace.lower() not in known:
        raise ArmError(404, "InvalidResourceNamespace",
                       f"The resource namespace '{namespace}' is invalid.")
    canonical = known[namespace.lower()]
    if action is None and req.method == "GET":
        return Response(200, _body(world, subscription, canonical))
    if action == "register" and req.method == "POST":
        if state(world, subscription, canonical) != "Registered":
            _entries(world)[_key(subscription, canonical)] = {
                "state": "Registering", "due": world.now() + world.scaled(REGISTRATION_SECONDS)}
        return Response(200, _body(world, subscription, canonical))
    if action == "unregister" and req.method == "POST":
        prefix = f"/subscriptions/{subscription}/".lower()
        marker = f"/providers/{canonical}/".lower()
        if any(k.startswith(prefix) and marker in k for k in world.resources):
            raise ArmError(409, "NamespaceUnregisterNotAllowed",  # modelled: Learn says resources must go first
                           f"Namespace '{canonical}' cannot be unregistered while resources of it exist.")
        _entries(world)[_key(subscription, canonical)] = {"state": "NotRegistered", "due": 0.0}
        world.store.save()
        return Response(200, _body(world, subscription, canonical))
    raise ArmError(405, "MethodNotAllowed", f"{req.method} is not supported here.")


def _body(world: World, subscription: str, namespace: str) -> Json:
    types: dict[str, Any] = {}
    for provider in world.registry.all():
        ns, _, type_ = provider.type.partition("/")
        if ns.lower() == namespace.lower():
            types[type_] = sorted(provider.api_versions, reverse=True)
    return {
        "id": f"/subscriptions/{subscription}/providers/{namespace}",
        "namespace": namespace,
        "registrationState": state(world, subscription, namespace),
        "registrationPolicy": "RegistrationRequired",
        "resourceTypes": [{"resourceType": t, "locations": [], "apiVersions": v} for t, v in sorted(types.items())],
    }


def _entries(world: World) -> dict[str, Json]:
    entries: dict[str, Json] = world.data.setdefault("registrations", {})
    return entries


def _key(subscription: str, namespace: str) -> str:
    return f"{subscription}/{namespace}".lower()
