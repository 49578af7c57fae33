"""Replay recorded Azure traffic (vcrpy cassettes) against a fresh embedded emulator and compare.

A client of the emulator, not part of it: each cassette gets its own emulator, its requests are sent in order over
HTTPS on the recording's clock (the emulator's time is the recorded ``date`` of each request, never the machine's,
so a loaded machine replays exactly as an idle one), and what a client can observe is compared with what Azure
answered: status, long-running-operation contract and terminal state, ARM error codes, property paths of success
bodies. Hosts, subscription ids, tenant ids, operation URLs and the GUIDs Azure generated (principal ids, resource
GUIDs) are mapped, never compared. What the Azure CLI's tests made outside the recording (their resource groups, the
principals they name, or a resource a template deployment created) is made here too, from the recorded body, before
it is used. ``Retry-After`` is not compared: the CLI's recorder drops it (azure-cli-testsdk scenario_tests/base.py,
``ReplayableTest.FILTER_HEADERS``).
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from .emulator import registration
from .emulator.admin import AdminClient
from .emulator.armpath import parse
from .emulator.provider import ProviderRegistry
from .emulator.world import TENANT_ID

ARM_HOST = "management.azure.com"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c1"
START = 1.6e9  # the replay clock's origin (any date: only differences matter)
POLL_STEP = 10.0  # Azure seconds between two polls of an operation the recording did not see end
FOLLOW_LIMIT = 6 * 3600.0  # Azure seconds after which an operation that has not ended counts as never ending
TERMINAL = ("succeeded", "failed", "canceled")
LRO_HEADERS = ("azure-asyncoperation", "location")
_SUB = re.compile(r"/subscriptions/([^/?#]+)", re.I)
_GROUP = re.compile(r"/subscriptions/[^/]+/resourcegroups/[^/?#]+", re.I)
_POLL = re.compile(r"/(operationstatuses|operationresults|asyncoperations|operations|privatednsoperationstatuses|"
                   r"privatednsoperationresults)/[^/]+$", re.I)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TENANT = re.compile(r'"tenantId"\s*:\s*"([0-9a-f-]{36})"', re.I)
# Response properties the tool itself reads (steps' ``outputs``, ``read`` and ``finish_delete``, the runner's
# provisioning check, the README's outputs), by lower-case ARM type: these must be covered completely.
STEP_READS: dict[str, tuple[str, ...]] = {
    "microsoft.resources/resourcegroups": ("id", "tags"),
    "microsoft.managedidentity/userassignedidentities": ("id", "properties.principalId", "properties.clientId",
                                                         "properties.tenantId"),
    "microsoft.operationalinsights/workspaces": ("id", "properties.customerId"),
    "microsoft.insights/components": ("id", "name", "properties.ConnectionString"),
    "microsoft.keyvault/vaults": ("id", "name", "properties.vaultUri", "properties.enablePurgeProtection"),
    "microsoft.keyvault/locations/deletedvaults": ("properties.purgeProtectionEnabled",),
    "microsoft.keyvault/vaults/secrets": ("id", "properties.secretUri", "properties.secretUriWithVersion"),
    "microsoft.documentdb/databaseaccounts": ("id", "name", "properties.documentEndpoint"),
    "microsoft.cognitiveservices/accounts": ("id", "name", "properties.endpoints"),
    "microsoft.cognitiveservices/accounts/projects": ("id", "properties.endpoints", "properties.internalId"),
    "microsoft.cognitiveservices/accounts/capabilityhosts": ("id", "name", "properties.capabilityHostKind"),
    "microsoft.cognitiveservices/accounts/projects/capabilityhosts": ("id", "name"),
    "microsoft.app/managedenvironments": ("id", "properties.defaultDomain", "properties.staticIp"),
    "microsoft.app/containerapps": ("id", "properties.configuration.ingress.fqdn", "properties.latestRevisionName"),
    "microsoft.network/privateendpoints": (
        "id", "properties.privateLinkServiceConnections[].properties.privateLinkServiceConnectionState.status"),
    "microsoft.network/publicipaddresses": ("id", "properties.ipAddress", "properties.dnsSettings.fqdn"),
    "microsoft.network/privatednszones": ("id", "name"),
    "microsoft.network/applicationgateways": ("id", "name"),
    "microsoft.dbforpostgresql/flexibleservers": ("id", "properties.fullyQualifiedDomainName"),
    "microsoft.dbforpostgresql/flexibleservers/configurations": ("properties.value",),
    "microsoft.authorization/roleassignments": ("id", "properties.createdOn"),
    "microsoft.search/searchservices": ("id", "name", "identity.principalId"),
    "microsoft.resources/providers": ("registrationState",),
    "microsoft.cache/redisenterprise": ("id", "properties.hostName"),
    "microsoft.cache/redisenterprise/databases": ("id", "primaryKey"),  # primaryKey: listKeys (steps/redis_cache.py)
}
_TYPES = {bool: "boolean", int: "number", float: "number", str: "string", dict: "object", list: "array"}


@dataclass
class Interaction:
    method: str
    uri: str
    body: str | None
    status: int
    headers: dict[str, str]  # lower-cased names, first value
    text: str


@dataclass
class Result:
    name: str
    in_scope: int = 0
    out_of_scope: int = 0
    status: int = 0
    lro: int = 0
    error: int = 0
    paths_recorded: int = 0
    paths_matched: int = 0
    read_recorded: int = 0  # of those, the paths the tool reads (STEP_READS)
    read_matched: int = 0
    mismatches: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    """A recorded body as text. Older cassettes (vcrpy with msrest, 2019) hold a request's bytes as their Python
    repr, ``b'...'``: read it back as the bytes that were sent."""
    if isinstance(value, bytes):
        return value.decode()
    text = str(value)
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        try:
            raw = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
        return raw.decode() if isinstance(raw, bytes) else text
    return text


def load(path: Path) -> list[Interaction]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("interactions") or []:
        req, resp = item["request"], item["response"]
        headers = {k.lower(): _text(v[0] if isinstance(v, list) else v) for k, v in (resp.get("headers") or {}).items()}
        body = None if req.get("body") is None else _text(req["body"])
        text = _text((resp.get("body") or {}).get("string") or "")
        out.append(Interaction(req["method"].upper(), req["uri"], body, int(resp["status"]["code"]), headers, text))
    return out


def norm(url: str) -> str:
    """Azure's operation headers name the default port; vcrpy's URIs do not."""
    return url.replace(f"{ARM_HOST}:443/", f"{ARM_HOST}/")


def out_of_scope(uri: str, method: str, registry: ProviderRegistry, polled: set[str]) -> str | None:
    """Why the emulator does not claim to serve this interaction; None when it does."""
    parts = urlsplit(uri)
    if parts.hostname != ARM_HOST:
        return f"not ARM ({parts.hostname})"
    if norm(uri) in polled or _POLL.search(parts.path):
        return "operation poll"  # compared through the LRO contract of the request that returned it
    if (route := registration.route(parts.path)) is not None:
        served = {p.type.split("/", 1)[0].lower() for p in registry.all()}
        namespace = route[1]
        return None if namespace is None or namespace.lower() in served else f"no provider for {namespace}"
    ref = parse(parts.path, method=method)
    if ref is None:
        return "not a resource path"
    if ref.namespace is None:
        return None
    if ref.namespace.lower() == "microsoft.resources" and ref.types[0].lower() == "deployments":
        return "Microsoft.Resources/deployments"
    return None if registry.get(ref.type) is not None else f"no provider for {ref.type}"


_ARM_ID = re.compile(r"/subscriptions/[^/\"]+/resourceGroups/[^/\"]+/providers/[^\"?]+", re.I)


def unserved_references(items: list[Interaction], scope: list[str | None], registry: ProviderRegistry) -> None:
    """A write whose body names a resource the recording made through a type the emulator does not serve (a
    Private Link service) cannot be answered as Azure did: it is out of scope, and so is everything later on the
    resource it writes."""
    unserved = {resource_key(it.uri): why for it, why in zip(items, scope, strict=True)
                if it.method == "PUT" and why is not None and why.startswith("no provider")}
    tainted: dict[str, str] = {}
    for i, it in enumerate(items):
        key = resource_key(it.uri)
        if scope[i] is not None:
            continue
        listed = [k for k in tainted if k in it.text.lower()] if key is None else []
        if key in tainted or listed:
            scope[i] = tainted[key if key in tainted else listed[0]]
            continue
        for ref_id in _ARM_ID.findall(it.body or "") if it.method in ("PUT", "PATCH") else []:
            made = unserved.get(ref_id.lower())
            if made is not None:
                why = scope[i] = f"refers to what the emulator does not serve ({made})"
                if key is not None:
                    tainted[key] = why
                break


def map_text(text: str, base_url: str) -> str:
    """The recorded host to the emulator's, every subscription id to ours."""
    text = norm(text).replace(f"https://{ARM_HOST}", base_url.rstrip("/"))
    return _SUB.sub(f"/subscriptions/{SUBSCRIPTION}", text)


def property_paths(value: Any, prefix: str = "") -> dict[str, str]:
    """Every property path of a JSON value with its JSON type; a list by its first element (``a[]``)."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out[path] = _TYPES.get(type(item), "null")
            out.update(property_paths(item, path))
    elif isinstance(value, list) and value:
        out.update(property_paths(value[0], f"{prefix}[]"))
    return out


def missing_paths(recorded: Any, got: Any) -> list[str]:
    """Recorded paths the emulator's body lacks or types differently (a recorded null matches any type)."""
    ours = property_paths(got)
    return [p for p, t in property_paths(recorded).items() if p not in ours or t not in ("null", ours[p])]


def parse_json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def state(body: Any) -> str | None:
    """``status`` of an operation body, else ``properties.provisioningState``."""
    if not isinstance(body, dict):
        return None
    props = body.get("properties")
    value = body.get("status") or (props.get("provisioningState") if isinstance(props, dict) else None)
    return value if isinstance(value, str) else None


def lro_contract(headers: dict[str, str], text: str) -> dict[str, Any]:
    """What a client's poller decides on; not ``Retry-After``, which the recordings never keep."""
    return {"Azure-AsyncOperation": "azure-asyncoperation" in headers, "Location": "location" in headers,
            "body": bool(text.strip()), "state": state(parse_json(text))}


def error_codes(status: int, text: str) -> list[str]:
    """The top-level ARM error code and those of its details; none for a success."""
    body = parse_json(text)
    err = body.get("error", body) if isinstance(body, dict) and status >= 400 else None
    if not isinstance(err, dict):
        return []
    return [str(err.get("code"))] + [str(d.get("code")) for d in err.get("details") or [] if isinstance(d, dict)]


def terminal(status: int, text: str) -> str | None:
    """The terminal state an operation poll shows; None while it runs."""
    value = state(parse_json(text))
    if value is not None:
        return value if value.lower() in TERMINAL else None
    return None if status == 202 else ("Succeeded" if status < 400 else "Failed")


class Client:
    def __init__(self, ca_cert: Path) -> None:
        self._ctx = ssl.create_default_context(cafile=str(ca_cert))

    def send(self, method: str, url: str, body: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        req = urllib.request.Request(url, data=None if body is None else body.encode(), method=method,  # noqa: S310
                                     headers={"Authorization": "Bearer conformance",
                                              "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, context=self._ctx, timeout=30) as resp:  # noqa: S310
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode()

    def follow(self, url: str, clock: ReplayClock) -> str | None:
        """Poll an operation to its end, the clock moving as the polls would."""
        until = clock() + FOLLOW_LIMIT
        while clock() <= until:
            status, _, text = self.send("GET", url)
            done = terminal(status, text)
            if done is not None:
                return done
            clock.advance_to(clock() + POLL_STEP)
        return None


class ReplayClock:
    """The emulator's clock in a replay: the recording's time, moved forward only by the replay (to each request's
    recorded date, along an operation's polls) and by a held answer (to its operation's end)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance_to(self, when: float) -> None:
        self.now = max(self.now, when)


def last_poll(items: list[Interaction], i: int) -> int | None:
    """The index of the recording's last poll of interaction ``i``'s operation, if it polled."""
    urls = operation_urls(items[i])
    return next((j for j in range(len(items) - 1, i, -1) if norm(items[j].uri) in urls), None)


def operation_urls(it: Interaction) -> set[str]:
    """The operation URLs an answer names. A ``Location`` naming the request's own resource (Redis Enterprise's
    PUT, final state via the original URI) is the resource, read as such, not an operation to poll."""
    own = urlsplit(norm(it.uri)).path.lower()
    return {norm(it.headers[h]) for h in LRO_HEADERS
            if h in it.headers and urlsplit(norm(it.headers[h])).path.lower() != own}


def recorded_terminal(items: list[Interaction], i: int) -> str | None:
    """The state the recording's last poll of interaction ``i``'s operation showed, if it polled."""
    j = last_poll(items, i)
    return terminal(items[j].status, items[j].text) if j is not None else None


def recorded_gaps(items: list[Interaction]) -> list[float]:
    """Azure seconds between each answer and the previous dated one (bounded to an hour)."""
    gaps, last = [], None
    for it in items:
        try:
            stamp: float | None = parsedate_to_datetime(it.headers["date"]).timestamp()
        except (KeyError, TypeError, ValueError):
            stamp = None
        gaps.append(max(0.0, min(stamp - last, 3600.0)) if stamp is not None and last is not None else 0.0)
        last = stamp if stamp is not None else last
    return gaps


def _principals_in(value: Any) -> Iterable[tuple[str, str]]:
    """(principalId, principalType) of every object in a request body that names a principal."""
    if isinstance(value, dict):
        if isinstance(value.get("principalId"), str) and _GUID.fullmatch(value["principalId"]):
            yield value["principalId"].lower(), str(value.get("principalType") or "ServicePrincipal")
        for item in value.values():
            yield from _principals_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _principals_in(item)


def directory_objects(items: list[Interaction]) -> list[dict[str, str]]:
    """The principals the recording's requests name that no earlier answer made (users, applications made
    outside ARM): the directory knows them before the replay starts."""
    found: dict[str, str] = {}
    for i, it in enumerate(items):
        for principal, kind in _principals_in(parse_json(it.body or "")):
            if principal not in found and not any(principal in x.text.lower() for x in items[:i]):
                found[principal] = kind
    return [{"id": k, "type": v} for k, v in found.items()]


def resource_key(uri: str) -> str | None:
    """The recorded resource an interaction addresses (lower case), None for collections and other paths."""
    ref = parse(urlsplit(uri).path)
    return None if ref is None or ref.is_collection or not ref.names else ref.id.lower()


def present(it: Interaction) -> bool | None:
    """What the recorded answer says of the addressed resource afterwards: there, gone, or nothing known."""
    ok = 200 <= it.status < 300
    if it.method == "DELETE":
        return False if ok else None
    if it.method in ("GET", "HEAD", "POST"):
        return True if ok else (False if it.status == 404 else None)
    return True if it.method == "PUT" and ok else None


def existed_before(it: Interaction) -> bool:
    """The recorded answer shows the resource was there when the request came (204: a DELETE found nothing)."""
    return (it.method in ("GET", "HEAD", "POST") and 200 <= it.status < 300) or \
        (it.method == "DELETE" and it.status in (200, 202))


def guid_pairs(recorded: Any, got: Any) -> Iterable[tuple[str, str]]:
    """(recorded, emulator) pairs of GUID strings found at the same place in two bodies."""
    if isinstance(recorded, dict) and isinstance(got, dict):
        for key in recorded.keys() & got.keys():
            yield from guid_pairs(recorded[key], got[key])
    elif isinstance(recorded, list) and isinstance(got, list):
        for a, b in zip(recorded, got, strict=False):
            yield from guid_pairs(a, b)
    elif isinstance(recorded, str) and isinstance(got, str) and recorded.lower() != got.lower() \
            and _GUID.fullmatch(recorded) and _GUID.fullmatch(got):
        yield recorded.lower(), got


class Replay:
    """One cassette against one emulator: the mappings learned so far and what the recording says exists."""

    def __init__(self, items: list[Interaction], client: Client, base_url: str, admin: AdminClient,
                 clock: ReplayClock) -> None:
        self.items, self.client, self.base_url, self.admin, self.clock = items, client, base_url, admin, clock
        text = "\n".join(f"{it.body or ''}\n{it.text}" for it in items)
        self.ids: dict[str, str] = {t.lower(): TENANT_ID for t in _TENANT.findall(text)}
        self.exists: dict[str, bool] = {}
        self.sent: set[str] = set()  # GUIDs the recorded requests so far carried
        self.imported: set[str] = set()  # stored as recorded: their bodies prove nothing about the emulator's
        self.times = list(itertools.accumulate(recorded_gaps(items)))  # Azure seconds since the first answer

    def map(self, text: str) -> str:
        text = map_text(text, self.base_url)
        return _GUID.sub(lambda m: self.ids.get(m.group(0).lower(), m.group(0)), text)

    def send(self, it: Interaction) -> tuple[int, dict[str, str], str]:
        extra = {h: it.headers[h.lower()] for h in ("If-Match", "If-None-Match") if h.lower() in it.headers}
        return self.client.send(it.method, self.map(it.uri), self.map(it.body) if it.body else None, extra)

    def learn(self, it: Interaction, status: int, text: str) -> None:
        self.sent.update(g.lower() for g in _GUID.findall(f"{it.uri} {it.body or ''}"))
        if 200 <= it.status < 300 and 200 <= status < 300:
            for recorded, ours in guid_pairs(parse_json(it.text), parse_json(text)):
                if recorded not in self.sent:  # one the client chose is the same on both sides
                    self.ids.setdefault(recorded, ours)
        key = resource_key(it.uri)
        if key is not None and present(it) is not None:
            self.exists[key] = bool(present(it))

    def unseen_parent(self, i: int) -> str | None:
        """Why interaction ``i`` cannot be replayed: its parent was made outside the recording, which never shows
        it (a PostgreSQL server an SDK test prepared; the databases of other tests' Redis clusters that `az
        redisenterprise list` reads, seen only as entries of a subscription-wide list), so the replay cannot make
        it."""
        path = urlsplit(self.items[i].uri).path
        ref = parse(path)
        if ref is not None and ref.is_collection and ref.names:  # a child collection: the resource it lists under
            parent = parse(path.rstrip("/").rsplit("/", 1)[0])
        else:
            parent = ref.parent() if ref is not None and ref.names else None
        if parent is None or parent.namespace is None or \
                any(resource_key(x.uri) == parent.id.lower() for x in self.items):
            return None
        query = urlsplit(self.items[i].uri).query
        if self.client.send("GET", self.map(f"https://{ARM_HOST}{parent.id}?{query}"))[0] == 200:
            return None
        return f"its parent {parent.type} was made outside the recording, which never shows it"

    def made_outside(self, i: int) -> None:
        """Create what the recording uses but made outside it (a preparer, a template deployment)."""
        it = self.items[i]
        key = resource_key(it.uri)
        if key is None or not existed_before(it) or self.exists.get(key):
            return
        body = next((parse_json(x.text) for x in self.items[i:] if x.method == "GET" and x.status == 200
                     and resource_key(x.uri) == key and isinstance(parse_json(x.text), dict)), None) \
            or self._later_put_body(i, key)
        if body is None:
            return
        url = self.map(it.uri.split("?")[0]) + "?" + urlsplit(it.uri).query
        if self.client.send("GET", url)[0] == 200:  # the emulator made it already (a soft-deleted account)
            self.exists[key] = True
            return
        status, headers, text = self.client.send("PUT", url, self.map(json.dumps(body)))
        if status >= 400:  # it needs what the deployment made beside it: store it as recorded
            ref = parse(urlsplit(it.uri).path)
            assert ref is not None  # resource_key found it
            body = {"id": ref.id, "name": ref.name, "type": ref.type, **body}
            try:
                self.admin.import_resource(json.loads(self.map(json.dumps(body))), self._busy_for(i, key))
            except urllib.error.HTTPError:
                return  # not a type the emulator stores: the comparison shows what is missing
            self.imported.add(key)
        elif operation := headers.get("azure-asyncoperation") or headers.get("location"):
            self.client.follow(urljoin(self.base_url, operation), self.clock)
        elif state(parse_json(text)) not in (None, "Succeeded", "succeeded"):
            self.client.follow(url, self.clock)
        self.exists[key] = True

    def _later_put_body(self, i: int, key: str) -> Any:
        """No read shows it: the body a later PUT of the test sends, without its recovery flag."""
        body = next((parse_json(x.body or "") for x in self.items[i:] if x.method == "PUT"
                     and resource_key(x.uri) == key and isinstance(parse_json(x.body or ""), dict)), None)
        if body is not None and isinstance(body.get("properties"), dict):
            for flag in ("createMode", "restore"):
                body["properties"].pop(flag, None)
        return body

    def _busy_for(self, i: int, key: str) -> float:
        """Azure seconds from interaction ``i`` until the recording shows ``key`` in a terminal state."""
        if (state(parse_json(self.items[i].text)) or "Succeeded").lower() in TERMINAL:
            return 0.0
        done = next((j for j in range(i, len(self.items)) if resource_key(self.items[j].uri) == key
                     and self.items[j].method == "GET" and (state(parse_json(self.items[j].text)) or "").lower()
                     in TERMINAL), None)
        return self.times[done] - self.times[i] if done is not None else 0.0


def replay(path: Path, registry: ProviderRegistry) -> Result:
    from .emulator.embedded import Emulator

    items, result = load(path), Result(path.name)
    polled = {url for it in items for url in operation_urls(it)}
    scope = [out_of_scope(it.uri, it.method, registry, polled) for it in items]
    unserved_references(items, scope, registry)
    clock = ReplayClock(START)
    with tempfile.TemporaryDirectory() as tmp, Emulator(tmp, time_scale=1.0, clock=clock, strict=False,
                                                        registered="all", throttle="off") as emu:
        run = Replay(items, Client(emu.ca_cert), emu.url, emu.admin, clock)
        if principals := directory_objects(items):
            emu.admin.add_principals(principals)
        _make_groups(run, [it for it, why in zip(items, scope, strict=True) if why is None])
        for i, listed in enumerate(scope):
            clock.advance_to(START + run.times[i])
            if (listed or run.unseen_parent(i)) is not None:
                result.out_of_scope += 1
            else:
                result.in_scope += 1
                run.made_outside(i)
                _compare(result, run, i)
    return result


def _make_groups(run: Replay, items: list[Interaction]) -> None:
    """The resource groups the test's preparers made, with the location and tags a recorded read shows."""
    groups: dict[str, tuple[str, Interaction]] = {}  # the group's path and its first recorded use
    for it in items:
        if (m := _GROUP.search(urlsplit(it.uri).path)) is not None:
            groups.setdefault(m.group(0).lower(), (m.group(0), it))
    for key, (path, first) in sorted(groups.items()):
        own = urlsplit(first.uri).path.lower() == key
        if "ResourceGroupNotFound" in error_codes(first.status, first.text) or \
                (own and (first.status == 404 or (first.method == "PUT" and first.status == 201))):
            continue  # the test used a group that did not exist, or creates it in the recording
        seen = next((b for it in items if it.method == "GET" and it.status == 200
                     and urlsplit(it.uri).path.lower() == key for b in [parse_json(it.text)] if isinstance(b, dict)),
                    {})
        body = {"location": seen.get("location", "westus"), **({"tags": seen["tags"]} if seen.get("tags") else {})}
        run.client.send("PUT", run.map(f"https://{ARM_HOST}{path}?api-version=2021-04-01"), json.dumps(body))


def _compare(result: Result, run: Replay, i: int) -> None:
    it, client = run.items[i], run.client
    type_ = arm_type(it)
    label = f"{it.method} {type_ or urlsplit(it.uri).path}"
    status, headers, text = run.send(it)
    problems = {"status": f"status {it.status}, emulator {status}" if status != it.status else ""}
    want, got = lro_contract(it.headers, it.text), lro_contract(headers, text)
    polled_until = last_poll(run.items, i)
    expected_end = recorded_terminal(run.items, i)
    if polled_until is not None and expected_end is not None:
        run.clock.advance_to(START + run.times[polled_until])  # where the recording saw the operation end
        url = headers.get("azure-asyncoperation") or headers.get("location")
        want["terminal"], got["terminal"] = expected_end, \
            client.follow(urljoin(run.base_url, url), run.clock) if url else None
    problems["lro"] = "LRO " + ", ".join(f"{k} {v}, emulator {got[k]}" for k, v in want.items() if v != got[k])
    problems["lro"] = "" if want == got else problems["lro"]
    codes = (error_codes(it.status, it.text), error_codes(status, text))
    problems["error"] = f"error {codes[0]}, emulator {codes[1]}" if codes[0] != codes[1] else ""
    for key, problem in problems.items():
        setattr(result, key, getattr(result, key) + (not problem))
        if problem:
            result.mismatches.append(f"{label}: {problem}")
    run.learn(it, status, text)
    recorded = parse_json(it.text)
    if 200 <= it.status < 300 and isinstance(recorded, dict | list) and resource_key(it.uri) not in run.imported:
        lacking, total = missing_paths(recorded, parse_json(text)), len(property_paths(recorded))
        result.paths_recorded += total
        result.paths_matched += total - len(lacking)
        read = tool_reads(type_, property_paths(recorded))
        result.read_recorded += len(read)
        result.read_matched += len(read - set(lacking))
        if lacking:
            more = f" (+{len(lacking) - 8})" if len(lacking) > 8 else ""
            result.mismatches.append(f"{label}: lacks {', '.join(lacking[:8])}{more}")


def arm_type(it: Interaction) -> str:
    """The ARM type an interaction addresses; a namespace's registration counts as ``Microsoft.Resources/providers``
    (what the registration step reads)."""
    path = urlsplit(it.uri).path
    if registration.route(path) is not None:
        return "Microsoft.Resources/providers"
    ref = parse(path, method=it.method)
    return ref.type if ref is not None else ""


def tool_reads(type_: str, paths: Iterable[str]) -> set[str]:
    """The recorded paths (a list answer's items too) that the tool reads for ``type_``, and every
    ``provisioningState``: the runner decides on it."""
    wanted = (*STEP_READS.get(type_.lower(), ()), "properties.provisioningState")
    return {p for p in paths if p.removeprefix("value[].") in wanted}


def cassettes(paths: Iterable[Path]) -> list[Path]:
    return [p for path in paths for p in (sorted(path.glob("*.yaml")) if path.is_dir() else [path])]


def figures(r: Result) -> dict[str, Any]:
    def rate(part: int, whole: int) -> float:
        return round(100.0 * part / whole, 1) if whole else 100.0

    return {**asdict(r), "path_coverage": rate(r.paths_matched, r.paths_recorded),
            "read_coverage": rate(r.read_matched, r.read_recorded)}


def summary(results: list[Result]) -> dict[str, Any]:
    total = Result("summary")
    for r in results:
        for key in ("in_scope", "out_of_scope", "status", "lro", "error", "paths_recorded", "paths_matched",
                    "read_recorded", "read_matched"):
            setattr(total, key, getattr(total, key) + getattr(r, key))
    out = figures(total)
    del out["mismatches"]
    return {**out, "name": f"{len(results)} recordings", "recordings": len(results)}


def line(d: dict[str, Any]) -> str:
    n = d["in_scope"]
    return (f"{d['name']}: {n} in scope, {d['out_of_scope']} out of scope; status {d['status']}/{n}, "
            f"LRO {d['lro']}/{n}, error code {d['error']}/{n}, property paths {d['path_coverage']}% "
            f"(those the tool reads {d['read_coverage']}%)")


def run(paths: list[Path], output: str = "text") -> int:
    """Replay every cassette; 0 only when every in-scope interaction matches status, LRO contract and error."""
    from .emulator.providers import registry

    reg = registry()
    results = [replay(path, reg) for path in cassettes(paths)]
    total = summary(results)
    if output == "json":
        print(json.dumps({"recordings": [figures(r) for r in results], "summary": total}, indent=2))
    else:
        for r in results:  # each line, then what a client would see differently (missing paths: in the JSON)
            print("\n".join([line(figures(r)), *(f"  - {m}" for m in r.mismatches if ": lacks " not in m)]))
        print(line(total))
    return 0 if total["status"] == total["lro"] == total["error"] == total["in_scope"] else 1
