"""A minimal OTLP/gRPC trace collector, standing in for the Container Apps environment's managed agent.

It runs with the LiteLLM test venv's interpreter (grpcio and opentelemetry-proto come with the OpenTelemetry
packages installed there, not with ours): ``python otlp_collector.py OUT.jsonl``. It prints the port it listens
on, then appends every export request to OUT.jsonl as one JSON line, until it is terminated.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from concurrent import futures
from pathlib import Path
from typing import Any

# Typed loosely: these live in the LiteLLM test venv, not in ours.
import grpc  # type: ignore[import-untyped, import-not-found, unused-ignore]
from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped, import-not-found, unused-ignore]
from opentelemetry.proto.collector.trace.v1 import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
    trace_service_pb2,
    trace_service_pb2_grpc,
)


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):  # type: ignore[misc]
    def __init__(self, out: Path) -> None:
        self._out = out
        self._lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:  # the gRPC method's name
        line = json.dumps(MessageToDict(request)) + "\n"
        with self._lock, self._out.open("a") as out:
            out.write(line)
        return trace_service_pb2.ExportTraceServiceResponse()


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Traces(Path(sys.argv[1])), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=1)


if __name__ == "__main__":
    main()
