"""The HTTPS front of the emulator: TLS, authentication, faults, latency, the request log and admin routes."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from .arm import Arm
from .armpath import parse
from .authz import Caller, RoleSpecError
from .faults import Faults, FaultSpecError
from .providers import registry
from .requestlog import WRITE_METHODS, RequestLog, body_for_log
from .specs import shared_validator
from .store import Store
from .throttle import Throttle, Verdict, buckets_from, principal_of, subscription_of
from .timescale import DEFAULT_TIME_SCALE
from .tls import load_or_create_ca, server_context
from .wire import Fault, Request, Response, iso, retry_headers
from .world import World

logger = logging.getLogger(__name__)


@dataclass
class EmulatorConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    time_scale: float = DEFAULT_TIME_SCALE
    latency_ms: int = 0
    faults: Any = None
    strict: bool = False
    specs_dir: Path | None = None
    fsync: bool = True
    registered: str = "new"  # resource providers registered at the start: "new" subscription, or "all"
    caller_roles: list[str] | None = None  # "ROLE@SCOPE" items; None: Owner everywhere (authz.DEFAULT_ROLES)
    throttle: Any = None  # ARM's request buckets: None/"azure", "off" or {kind: "SIZE/REFILL"} (throttle.py)
    tails: Any = None  # long tails drawn per resource: {name: [low, high] Azure seconds} (tails.py)
    seed: int = 0  # of the long tails' draws
    claim_wait: float = 0.0  # seconds to wait for another process to let go of the data dir (Store.claim)
    # The world's clock (seconds); None: wall-clock time. A clock with ``advance_to(t)`` is virtual: a held answer
    # moves it to its operation's end instead of waiting (the conformance replay runs on the recording's clock).
    clock: Callable[[], float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body waits for the client's
    # delayed ACK (about 40 ms a response).
    disable_nagle_algorithm = True
    server: _HttpsServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log; the request log is the record."""

    def _serve(self) -> None:
        raw_path, _, qs = self.path.partition("?")
        path = unquote(raw_path)  # the SDKs percent-encode names: "rg(1)" arrives as "rg%281%29"
        query = {k: v[-1] for k, v in parse_qs(qs, keep_blank_values=True).items()}
        body = self._read_body()
        req = Request(self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        app = self.server.app
        response = app.admin(req) if path.startswith("/_emulator") else app.handle(req)
        if response is None:  # a fault dropped the connection
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(response)

    def _read_body(self) -> bytes:
        """The request body, sent with Content-Length or chunked (an SDK body from a stream of unknown size).
        A chunked body left unread would be taken for the next request on the connection."""
        if "chunked" not in (self.headers.get("Transfer-Encoding") or "").lower():
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537).strip():  # trailers, up to the blank line
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)  # the CRLF after each chunk

    def _send(self, response: Response) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": str(uuid.uuid4())}
        headers.update(response.headers)
        for name, value in headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _serve


class _HttpsServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The default listen backlog of 5 drops the SYNs of a burst of clients: each retries a second later.
    request_queue_size = 128
    app: EmulatorApp

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the request's own thread, so a slow client never stalls accept().
        try:
            tls = self.app.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()


class EmulatorApp:
    """Everything behind the socket; the handler threads call ``handle`` and ``admin``."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.data_dir, fsync=config.fsync, claim_wait=config.claim_wait)
        self.providers = registry()
        self.world = World(self.store, self.providers, time_scale=config.time_scale, clock=config.clock or time.time,
                           registration_profile=config.registered, tails=config.tails, seed=config.seed)
        self.throttle = Throttle(buckets_from(config.throttle, config.time_scale))
        self.faults = Faults(config.faults)
        self.log = RequestLog(config.data_dir / "requests.jsonl")
        ca, self.ca_cert = load_or_create_ca(config.data_dir)
        self.ssl_context = server_context(ca, config.host)
        validator = shared_validator(config.specs_dir) if config.strict and config.specs_dir else None
        self.arm = Arm(self.world, self.providers, base_url="", validator=validator)
        self.caller = Caller(config.caller_roles)

    def close(self) -> None:
        self.log.close()
        self.store.release()

    # --- ARM -------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response | None:
        started = time.monotonic()
        decision = None
        if not req.headers.get("authorization", "").lower().startswith("bearer "):
            response: Response | None = Response(401, {"error": {
                "code": "AuthenticationFailed",
                "message": "Authentication failed. The 'Authorization' header is missing."}})
        elif (verdict := self._take_token(req)) is not None and verdict.retry_after is not None:
            response = Response(429, verdict.error(subscription_of(req.path) or "",
                                                   principal_of(req.headers["authorization"])), verdict.headers())
        else:
            decision = self.faults.decide(req.method, req.path)
            delay_ms = self.config.latency_ms + (decision.latency_ms if decision else 0)
            if delay_ms:
                time.sleep(delay_ms / 1000)
            response = self._apply(req, decision)
            if decision is not None and decision.drop_after and response is not None:
                self._record(req, response, started, decision.rule.describe(), dropped=True)
                return None
            if verdict is not None and response is not None:  # what is left of the bucket, on every answer
                response.headers = {**response.headers, **verdict.headers()}
        self._record(req, response, started, decision.rule.describe() if decision else None)
        return response

    def _take_token(self, req: Request) -> Verdict | None:
        """ARM's throttle comes before the resource provider (and before any injected fault)."""
        subscription = subscription_of(req.path)
        if subscription is None:
            return None
        return self.throttle.take(req.method, subscription, principal_of(req.headers["authorization"]))

    def _apply(self, req: Request, decision: Any) -> Response | None:
        if decision is not None and decision.drop:
            return None
        if decision is not None and decision.status:
            rule = decision.rule
            headers = retry_headers(rule.retry_after) if rule.retry_after else {}
            message = rule.message or f"Injected fault {rule.status}."
            error: dict[str, Any] = {"code": rule.code, "message": message}
            if rule.details:
                error["details"] = [dict(d) for d in rule.details]
            return Response(decision.status, {"error": error}, headers)
        fault = Fault()
        if decision is not None and (decision.fail_operation or decision.stall_operation):
            rule = decision.rule
            fault = Fault(
                fail={"code": rule.code, "message": rule.message or "The operation failed (injected).",
                      "status": rule.status or 500, "details": [dict(d) for d in rule.details or []]}
                if decision.fail_operation else None,
                stall=decision.stall_operation,
            )
        with self.store.lock:
            try:
                changed = self.world.advance()
                response = self.caller.answer(req, self.world, lambda: self.arm.handle(req, fault))
            except Exception as exc:  # a bug in a provider: answer as Azure would, keep the world intact
                self.store.rollback()
                logger.exception("emulator error on %s %s", req.method, req.path)
                return Response(500, {"error": {"code": "InternalServerError",
                                                "message": f"Emulator error: {type(exc).__name__}"}})
            if changed or req.method in WRITE_METHODS:
                self.store.save()
        return self._when_done(response.held) if response.held is not None else response

    def _when_done(self, held: tuple[str, Any]) -> Response:
        """Hold a synchronous answer until its operation is done, the lock free meanwhile."""
        op_id, answer = held
        while True:
            with self.store.lock:
                changed = self.world.advance()
                op = self.world.operations.get(op_id)
                if op is None or op["status"] != "InProgress":
                    if changed:
                        self.store.save()
                    response: Response = answer()
                    return response
                wait = op["due"] - self.world.now()
                advance = getattr(self.world.clock, "advance_to", None)
                if advance is not None and not op["stall"]:
                    advance(op["due"])
                    continue
            time.sleep(min(max(wait, 0.001), 0.05))

    def _record(self, req: Request, response: Response | None, started: float, fault: Any, *,
                dropped: bool = False) -> None:
        entry: dict[str, Any] = {
            "time": iso(time.time()),
            "method": req.method,
            "path": req.path,
            "api_version": req.api_version,
            "status": response.status if response is not None else None,
            "duration_ms": round((time.monotonic() - started) * 1000, 2),
        }
        body = body_for_log(req.method, req.body)
        if body is not None:
            entry["body"] = body
        if fault is not None:
            entry["fault"] = {"path": fault["path"], "status": fault["status"],
                              "dropped": response is None or dropped}
        self.log.add(entry)

    # --- admin -----------------------------------------------------------------------------------------
    def admin(self, req: Request) -> Response:
        route = req.path.rstrip("/")[len("/_emulator"):] or "/"
        with self.store.lock:
            if self.world.advance():
                self.store.save()
            if req.method == "GET" and route == "/info":
                return Response(200, {"emulator": "foundry-litellm", "time_scale": self.world.time_scale,
                                      "data_dir": str(self.config.data_dir), "strict": self.arm.validator
                                      is not None, "registered": self.world.registration_profile,
                                      "caller": self.caller.describe()})
            if req.method == "GET" and route == "/resources":
                return Response(200, [self._summary(r) for _, r in sorted(self.world.resources.items())])
            if req.method == "GET" and route == "/deleted":
                items = [dict(item, kind=kind) for kind, group in sorted(self.world.data["deleted"].items())
                         for _, item in sorted(group.items())]
                return Response(200, items)
            if req.method == "GET" and route == "/operations":
                return Response(200, list(self.world.operations.values()))
            if req.method == "POST" and route == "/import":
                return self._import(req)
            if req.method == "POST" and route == "/principals":
                # Directory objects made outside ARM (users, groups, applications), known for a day already.
                try:
                    principals = json.loads(req.body or b"{}")["principals"]
                    for item in principals:
                        self.world.register_principal(str(item["id"]).lower(), age=86400.0,
                                                      kind=str(item.get("type") or "ServicePrincipal"))
                except (ValueError, KeyError, TypeError) as exc:
                    return Response(400, {"error": {"code": "InvalidPrincipals", "message": str(exc)}})
                self.store.save()
                return Response(200, {"registered": len(principals)})
            if req.method == "POST" and route == "/operations/release":
                # Stalled operations go on: each completes at its due time (already past: at once). Only those of
                # the listed resource ids when the body has "resources".
                try:
                    only = json.loads(req.body or b"{}").get("resources")
                except (ValueError, AttributeError):
                    only = None
                wanted = None if only is None else {str(r).lower() for r in only}
                released = [op for op in self.world.operations.values()
                            if op["stall"] and (wanted is None or op["resource"].lower() in wanted)]
                for op in released:
                    op["stall"] = False
                self.world.advance()
                self.store.save()
                return Response(200, {"released": len(released)})
        if req.method == "GET" and route == "/requests":
            since = req.query.get("since", "0")
            if not since.isdigit():
                return Response(400, {"error": {"code": "InvalidSince", "message": "since must be a sequence number"}})
            return Response(200, self.log.since(int(since)))
        if route == "/faults":
            return self._faults(req)
        if route == "/caller":
            return self._caller(req)
        return Response(404, {"error": {"code": "NotFound", "message": f"No admin route {req.path}"}})

    def _import(self, req: Request) -> Response:
        """Store a resource as a body shows it, with no validation: what a template deployment or a test made
        outside ARM's view of the replay. A transient provisioning state lasts ``seconds`` (Azure seconds)."""
        try:
            spec = json.loads(req.body or b"{}")
            body, seconds = dict(spec["body"]), float(spec.get("seconds") or 0.0)
            ref = parse(str(body["id"]))
        except (ValueError, KeyError, TypeError) as exc:
            return Response(400, {"error": {"code": "InvalidImport", "message": str(exc)}})
        provider = self.providers.get(ref.type) if ref is not None else None
        if ref is None or provider is None:
            return Response(400, {"error": {"code": "InvalidImport", "message": f"no provider for {body['id']}"}})
        record = {"id": ref.id, "type": provider.type, "created": self.world.now(), "op": None, "internal": {},
                  "body": body}
        self.world.store_record(record)
        if seconds > 0:
            self.world.start_operation(record, kind="create", seconds=seconds, busy={ref.key})
        self.store.save()
        return Response(200, {"imported": ref.id})

    def _faults(self, req: Request) -> Response:
        if req.method == "POST":
            try:
                self.faults.load(json.loads(req.body or b"{}"))
            except (ValueError, FaultSpecError) as exc:
                return Response(400, {"error": {"code": "InvalidFaults", "message": str(exc)}})
        elif req.method == "DELETE":
            self.faults.load({"seed": 0, "rules": []})
        return Response(200, self.faults.describe())

    def _caller(self, req: Request) -> Response:
        if req.method == "POST":  # replaces the role assignments of the caller, until the server stops
            try:
                roles = json.loads(req.body or b"{}").get("roles")
                if not isinstance(roles, list):
                    raise RoleSpecError('the body must be {"roles": [{"role": ..., "scope": ...}, ...]}')
                self.caller.set_roles(roles)
            except (ValueError, AttributeError) as exc:
                return Response(400, {"error": {"code": "InvalidCaller", "message": str(exc)}})
        elif req.method != "GET":
            return Response(405, {"error": {"code": "MethodNotAllowed", "message": f"{req.method} /_emulator/caller"}})
        return Response(200, self.caller.describe())

    def _summary(self, record: dict[str, Any]) -> dict[str, Any]:
        body = self.world.render(record)
        return {
            "id": body["id"], "type": body["type"], "name": body["name"], "location": body.get("location"),
            "tags": body.get("tags") or {}, "provisioningState": body.get("properties", {}).get("provisioningState"),
            "properties": body.get("properties", {}),
        }


class EmulatorServer:
    """Bind, serve in a background thread, stop. ``url`` and ``ca_cert`` are what clients need."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.app = EmulatorApp(config)
        try:
            self._httpd = self._bind(config)
        except OSError:
            self.app.close()
            raise
        self._httpd.app = self.app
        host, port = self._httpd.server_address[:2]
        self.url = f"https://{host.decode() if isinstance(host, bytes) else host}:{port}"
        (config.data_dir / "last-port").write_text(str(port))
        self.app.arm.base_url = self.url
        self._thread: threading.Thread | None = None

    @staticmethod
    def _bind(config: EmulatorConfig) -> _HttpsServer:
        """Bind the requested port; with port 0, prefer the port this data dir was served on last time.

        Operation URLs (Azure-AsyncOperation, Location) carry the host and port, and clients keep them in
        continuation tokens: like Azure's stable endpoint, a restarted emulator answers them where it can.
        """
        if config.port == 0:
            last = config.data_dir / "last-port"
            try:
                return _HttpsServer((config.host, int(last.read_text())), _Handler)
            except (OSError, ValueError):
                pass
        return _HttpsServer((config.host, config.port), _Handler)

    @property
    def ca_cert(self) -> Path:
        return self.app.ca_cert

    def start(self) -> None:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="arm-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.close()
