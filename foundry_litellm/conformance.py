"""Replay recorded Azure traffic (vcrpy cassettes) against a fresh embedded emulator and compare.

A client of the emulator, not part of it: each cassette gets its own emulator, its requests are sent in order over
HTTPS, paced by the recorded ``date`` headers in emulated time, and what a client can observe is compared with what
Azure answered: status, long-running-operation contract and terminal state, ARM error codes, property paths of
success bodies. Hosts, subscription ids and operation URLs are mapped, never compared. The resource groups a
cassette uses are created first, as the Azure CLI's test preparers did outside the recording.
"""

from __future__ import annotations

import json
import re
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .emulator import registration
from .emulator.armpath import parse
from .emulator.provider import ProviderRegistry

ARM_HOST = "management.azure.com"
SUBSCRIPTION = "00000000-0000-0000-0000-0000000000c1"
TIME_SCALE = 0.001  # emulated seconds per Azure second
POLL_SECONDS = 60.0
TERMINAL = ("succeeded", "failed", "canceled")
LRO_HEADERS = ("azure-asyncoperation", "location")
_SUB = re.compile(r"/subscriptions/([^/?#]+)", re.I)
_GROUP = re.compile(r"/subscriptions/[^/]+/resourcegroups/([^/?#]+)", re.I)
_POLL = re.compile(r"/(operationstatuses|operationresults|asyncoperations|operations|privatednsoperationstatuses|"
                   r"privatednsoperationresults)/[^/]+$", re.I)
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
    mismatches: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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
    if registration.route(parts.path) is not None:
        return None
    ref = parse(parts.path, method=method)
    if ref is None:
        return "not a resource path"
    if ref.namespace is None:
        return None
    if ref.namespace.lower() == "microsoft.resources" and ref.types[0].lower() == "deployments":
        return "Microsoft.Resources/deployments"
    return None if registry.get(ref.type) is not None else f"no provider for {ref.type}"


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
    return {"Azure-AsyncOperation": "azure-asyncoperation" in headers, "Location": "location" in headers,
            "Retry-After": "retry-after" in headers or "retry-after-ms" in headers,
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

    def follow(self, url: str) -> str | None:
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            status, _, text = self.send("GET", url)
            done = terminal(status, text)
            if done is not None:
                return done
            time.sleep(0.05)
        return None


def recorded_terminal(items: list[Interaction], i: int) -> str | None:
    """The state the recording's last poll of interaction ``i``'s operation showed, if it polled."""
    urls = {norm(items[i].headers[h]) for h in LRO_HEADERS if h in items[i].headers}
    polls = [it for it in items[i + 1:] if norm(it.uri) in urls]
    return terminal(polls[-1].status, polls[-1].text) if polls else None


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


def replay(path: Path, registry: ProviderRegistry) -> Result:
    from .emulator.embedded import Emulator

    items, result = load(path), Result(path.name)
    polled = {norm(it.headers[h]) for it in items for h in LRO_HEADERS if h in it.headers}
    scope = [out_of_scope(it.uri, it.method, registry, polled) for it in items]
    groups = sorted({m.group(1) for it, why in zip(items, scope, strict=True) if why is None
                     for m in [_GROUP.search(urlsplit(it.uri).path)] if m})
    with tempfile.TemporaryDirectory() as tmp, \
            Emulator(tmp, time_scale=TIME_SCALE, strict=False, registered="all", throttle="off") as emu:
        client = Client(emu.ca_cert)
        for group in groups:
            client.send("PUT", f"{emu.url}/subscriptions/{SUBSCRIPTION}/resourcegroups/{group}?api-version=2021-04-01",
                        json.dumps({"location": "westus"}))
        for i, (gap, why) in enumerate(zip(recorded_gaps(items), scope, strict=True)):
            time.sleep(gap * TIME_SCALE)
            if why is not None:
                result.out_of_scope += 1
            else:
                result.in_scope += 1
                _compare(result, items, i, client, emu.url)
    return result


def _compare(result: Result, items: list[Interaction], i: int, client: Client, base_url: str) -> None:
    it = items[i]
    ref = parse(urlsplit(it.uri).path, method=it.method)
    label = f"{it.method} {ref.type if ref else urlsplit(it.uri).path}"
    extra = {h: it.headers[h.lower()] for h in ("If-Match", "If-None-Match") if h.lower() in it.headers}
    status, headers, text = client.send(it.method, map_text(it.uri, base_url),
                                        map_text(it.body, base_url) if it.body else None, extra)
    problems = {"status": f"status {it.status}, emulator {status}" if status != it.status else ""}
    want, got = lro_contract(it.headers, it.text), lro_contract(headers, text)
    expected_end = recorded_terminal(items, i)
    if expected_end is not None:
        url = headers.get("azure-asyncoperation") or headers.get("location")
        want["terminal"], got["terminal"] = expected_end, client.follow(url) if url else None
    problems["lro"] = "LRO " + ", ".join(f"{k} {v}, emulator {got[k]}" for k, v in want.items() if v != got[k])
    problems["lro"] = "" if want == got else problems["lro"]
    codes = (error_codes(it.status, it.text), error_codes(status, text))
    problems["error"] = f"error {codes[0]}, emulator {codes[1]}" if codes[0] != codes[1] else ""
    for key, problem in problems.items():
        setattr(result, key, getattr(result, key) + (not problem))
        if problem:
            result.mismatches.append(f"{label}: {problem}")
    recorded = parse_json(it.text)
    if 200 <= it.status < 300 and isinstance(recorded, dict | list):
        lacking, total = missing_paths(recorded, parse_json(text)), len(property_paths(recorded))
        result.paths_recorded += total
        result.paths_matched += total - len(lacking)
        if lacking:
            more = f" (+{len(lacking) - 8})" if len(lacking) > 8 else ""
            result.mismatches.append(f"{label}: lacks {', '.join(lacking[:8])}{more}")


def cassettes(paths: Iterable[Path]) -> list[Path]:
    return [p for path in paths for p in (sorted(path.glob("*.yaml")) if path.is_dir() else [path])]


def figures(r: Result) -> dict[str, Any]:
    cover = round(100.0 * r.paths_matched / r.paths_recorded, 1) if r.paths_recorded else 100.0
    return {**asdict(r), "path_coverage": cover}


def summary(results: list[Result]) -> dict[str, Any]:
    total = Result("summary")
    for r in results:
        for key in ("in_scope", "out_of_scope", "status", "lro", "error", "paths_recorded", "paths_matched"):
            setattr(total, key, getattr(total, key) + getattr(r, key))
    out = figures(total)
    del out["mismatches"]
    return {**out, "name": f"{len(results)} recordings", "recordings": len(results)}


def line(d: dict[str, Any]) -> str:
    n = d["in_scope"]
    return (f"{d['name']}: {n} in scope, {d['out_of_scope']} out of scope; status {d['status']}/{n}, "
            f"LRO {d['lro']}/{n}, error code {d['error']}/{n}, property paths {d['path_coverage']}%")


def run(paths: list[Path], output: str = "text") -> int:
    """Replay every cassette; 0 only when every in-scope interaction matches status, LRO contract and error."""
    from .emulator.providers import registry

    reg = registry()
    results = [replay(path, reg) for path in cassettes(paths)]
    total = summary(results)
    if output == "json":
        print(json.dumps({"recordings": [figures(r) for r in results], "summary": total}, indent=2))
    else:
        print("\n".join(line(figures(r)) for r in results) + "\n" + line(total))
    return 0 if total["status"] == total["lro"] == total["error"] == total["in_scope"] else 1
