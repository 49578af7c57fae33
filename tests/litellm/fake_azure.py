"""A stdlib fake of Azure OpenAI's chat completions endpoint, run in a thread of the test process.

It records every request (method, path, query, the ``api-key`` and ``Authorization`` headers, the body) so a
test can prove what the real LiteLLM proxy sent upstream, and counts calls per deployment. A test can make a
deployment (or all) fail with a status such as 429 or 500, optionally with ``Retry-After``, or answer slowly.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

_CHAT = re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/chat/completions$")
REPLY = "Hello from the fake Azure OpenAI."


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: int | None = None


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    api_key: str | None
    authorization: str | None
    body: dict[str, Any]


class FakeAzureOpenAI:
    """``with FakeAzureOpenAI(key) as fake:`` serves on ``fake.url`` until the block ends."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self._failures: dict[str | None, Failure] = {}  # by deployment; None: every deployment
        self._delays: dict[str | None, float] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-azure-openai", daemon=True)

    def fail(self, status: int, *, deployment: str | None = None, retry_after: int | None = None) -> None:
        """Answer ``status`` (Azure's error body) to chat calls of ``deployment`` (None: all) until healed."""
        with self._lock:
            self._failures[deployment] = Failure(status, retry_after)

    def slow(self, seconds: float, *, deployment: str | None = None) -> None:
        with self._lock:
            self._delays[deployment] = seconds

    def heal(self) -> None:
        with self._lock:
            self._failures.clear()
            self._delays.clear()

    def behaviour(self, deployment: str) -> tuple[Failure | None, float]:
        with self._lock:
            failure = self._failures.get(deployment) or self._failures.get(None)
            return failure, self._delays.get(deployment, self._delays.get(None, 0.0))

    def calls(self, deployment: str) -> int:
        """Chat calls that reached this deployment, failed ones included."""
        path = f"/openai/deployments/{deployment}/chat/completions"
        with self._lock:
            return sum(1 for r in self._requests if r.path == path)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def record(self, request: Recorded) -> None:
        with self._lock:
            self._requests.append(request)

    def __enter__(self) -> FakeAzureOpenAI:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(fake: FakeAzureOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep pytest's output clean
            pass

        def do_GET(self) -> None:
            self._record({})
            self._json(404, {"error": {"code": "404", "message": "Resource not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode(errors="replace")}
            self._record(body)
            match = _CHAT.match(urlsplit(self.path).path)
            if match is None:
                self._json(404, {"error": {"code": "404", "message": "Resource not found"}})
                return
            if self.headers.get("api-key") != fake.api_key:
                # Azure's answer to a wrong or missing key.
                self._json(401, {"error": {"code": "401", "message": "Access denied due to invalid subscription "
                                           "key or wrong API endpoint."}})
                return
            deployment = match["deployment"]
            failure, delay = fake.behaviour(deployment)
            if delay:
                time.sleep(delay)
            if failure is not None:
                self._json(failure.status, {"error": {"code": str(failure.status), "message": "fake failure"}},
                           {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {})
                return
            if body.get("stream"):
                self._sse(deployment)
            else:
                self._json(200, _completion(deployment))

        def _record(self, body: dict[str, Any]) -> None:
            parts = urlsplit(self.path)
            fake.record(Recorded(method=self.command, path=parts.path, query=parse_qs(parts.query),
                                 api_key=self.headers.get("api-key"),
                                 authorization=self.headers.get("Authorization"), body=body))

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, deployment: str) -> None:
            # HTTP/1.0 (the handler's default): the body ends when the connection closes.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            for chunk in _chunks(deployment):
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _usage() -> dict[str, int]:
    return {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}


def _completion(deployment: str) -> dict[str, Any]:
    return {
        # A unique id, so a test can find this response's span among the exported traces.
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": deployment,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": REPLY}}],
        "usage": _usage(),
    }


def _chunks(deployment: str) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": deployment, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    words = REPLY.split(" ")
    pieces = [chunk({"role": "assistant", "content": ""}, None)]
    pieces += [chunk({"content": w if i == 0 else " " + w}, None) for i, w in enumerate(words)]
    pieces.append(chunk({}, "stop"))
    pieces.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
                   "model": deployment, "choices": [], "usage": _usage()})
    return pieces
