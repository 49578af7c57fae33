"""The engine behind the commands: a session (config, state lock, target, clients) and the operations run in it.

Order matters and is deliberate: the configuration is validated before anything else (bad input exits 2
having sent nothing), then the environment's lock is taken (a concurrent run exits 3), then the target is
reached.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from . import config as config_module
from . import litellm_config, logs
from .clients import CLOUDS, Clients, Target
from .config import Config
from .context import Managed, RunContext
from .errors import ConfigError, ToolError
from .interrupts import Interrupted
from .names import Names
from .output import LiveReporter, PlainReporter
from .runner import Runner, StepResult
from .secrets import SecretValues
from .state import DEFAULT_DIR, Backend, State
from .state_backends import open_backend
from .step import Step

TargetKind = Literal["azure", "endpoint", "emulator"]


@dataclass
class Options:
    config_path: Path | None = None
    state_dir: Path = DEFAULT_DIR
    emulator: bool = False
    endpoint: str | None = None
    ca_cert: str | None = None
    cloud: str = "AzureCloud"
    subscription: str | None = None
    time_scale: float | None = None
    parallel: int = 16
    debug: bool = False
    output: str = "human"
    yes: bool = False
    purge: bool = True  # destroy: purge soft-deleted vaults and accounts
    rotate: frozenset[str] = frozenset()  # deploy: secrets to regenerate

    @property
    def target_kind(self) -> TargetKind:
        if self.emulator:
            return "emulator"
        return "endpoint" if self.endpoint else "azure"

    def check(self) -> None:
        if self.emulator and self.endpoint:
            raise ConfigError("--emulator", "choose either --emulator or --endpoint, not both")
        if self.cloud not in CLOUDS:
            raise ConfigError("--cloud", f"unknown cloud '{self.cloud}'; one of {', '.join(CLOUDS)}")
        if self.ca_cert and not Path(self.ca_cert).is_file():
            raise ConfigError("--ca-cert", f"{self.ca_cert} is not a file")
        if self.parallel < 1 or self.parallel > 64:
            raise ConfigError("--parallel", "must be between 1 and 64")


class Pipeline(Protocol):
    """The steps a configuration wants, and those the state records that it no longer wants (the ``steps``
    package is one; the engine never imports it)."""

    def pipeline(self, config: Config) -> list[Step]: ...

    def retired(self, config: Config, recorded: set[str]) -> list[Step]: ...


class Session:
    """One command's run: holds the lock, the embedded emulator if any, the clients and the reporter."""

    def __init__(self, options: Options, *, require_openai: bool, pipeline: Pipeline, operation: str,
                 backend: Callable[[Config], Backend] | None = None) -> None:
        options.check()
        self.options = options
        self.operation = operation  # what the state's lock says this run is doing
        self.config: Config = config_module.load(options.config_path, require_openai=require_openai,
                                                 subscription_id=options.subscription)
        # The environment's state backend, or another one (``state bootstrap`` keeps its own, locally).
        self.store = backend(self.config) if backend is not None else \
            open_backend(self.config.state, self.config.environment, options.state_dir, cloud=options.cloud)
        self.pipeline = pipeline
        self.steps = pipeline.pipeline(self.config)
        self._emulator: Any = None
        self._reporter: LiveReporter | PlainReporter | None = None
        self.clients: Clients | None = None
        self.log_path: Path | None = None
        self.started = time.monotonic()
        self.title = ""  # what the progress panel is headed with: the command's phase

    def __enter__(self) -> Session:
        _fewer_malloc_arenas()  # before the run's threads start
        self.store.acquire(self.operation)
        try:
            self.log_path = logs.setup(self.options.state_dir, debug=self.options.debug)
            target, time_scale = self._target()
            self.clients = Clients(target, self.config.subscription_id)
            self.state: State = self.store.load(
                subscription_id=self.config.subscription_id, resource_group=self.config.resource_group,
                location=self.config.location, resource_token=self.config.token)
            secret_values = SecretValues()
            for upstream, variable in self.config.gateway.upstream_key_env.items():
                key = os.environ.get(variable, "").strip()
                if key:
                    secret_values.put(litellm_config.upstream_secret(upstream), key)
            self.ctx = RunContext(self.config, Names.of(self.config), self.clients, self.state, _Progress(self),
                                  time_scale=time_scale, secrets=secret_values, purge=self.options.purge,
                                  rotate=self.options.rotate)
            for name, entry in self.state.data["steps"].items():
                if entry.get("outputs"):  # what earlier runs learned, until this run reads it live
                    self.ctx.set_outputs(name, entry["outputs"])
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if isinstance(exc, Interrupted):
            # Threads of operations left in flight still use the clients (and the embedded emulator): closing
            # them would only make those threads fail. The process leaves at once (cli.main); the lock goes too.
            self.close_reporter()
            self.store.release()
            return
        self._close()

    def _close(self) -> None:
        self.close_reporter()
        if self.clients is not None:
            self.clients.close()
        if self._emulator is not None:
            self._emulator.stop()
        self.store.release()

    def close_reporter(self) -> None:
        """End the progress display; the next use of ``reporter`` starts a fresh one."""
        if self._reporter is not None:
            self._reporter.close()
            self._reporter = None

    @property
    def reporter(self) -> LiveReporter | PlainReporter:
        """The progress display, started on first use: nothing is drawn until the runner starts, so a question
        asked before (destroy's confirmation) is never under a live display."""
        if self._reporter is None:
            live = self.options.output == "human" and sys.stderr.isatty() and not self.options.debug
            expected = self.state.durations() if self.title == "deploy" else {}
            self._reporter = LiveReporter(self.steps, title=self.title, expected=expected) if live \
                else PlainReporter()
        return self._reporter

    @property
    def reporting(self) -> bool:
        return self._reporter is not None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _target(self) -> tuple[Target | Callable[[], Target], float]:
        """Where ARM is (or how to get it, for an emulator still starting), and its time scale."""
        opts = self.options
        if opts.target_kind == "emulator":
            from .emulator.child import ChildEmulator
            from .emulator.timescale import DEFAULT_TIME_SCALE

            scale = opts.time_scale if opts.time_scale is not None else DEFAULT_TIME_SCALE
            emulator = self._emulator = ChildEmulator(opts.state_dir / "emulator", time_scale=scale)
            return lambda: _serving(emulator, scale), scale  # asked by the first request: it starts meanwhile
        target = self._endpoint() if opts.target_kind == "endpoint" else Target.cloud(opts.cloud)
        return target, target.time_scale

    def _endpoint(self) -> Target:
        from .emulator.admin import AdminClient, is_emulator

        opts = self.options
        assert opts.endpoint is not None
        if is_emulator(opts.endpoint, opts.ca_cert):
            scale = float(AdminClient(opts.endpoint, opts.ca_cert).info().get("time_scale", 1.0))
            return Target.endpoint(opts.endpoint, opts.ca_cert, emulator=True, time_scale=scale)
        return Target.endpoint(opts.endpoint, opts.ca_cert, emulator=False)

    def runner(self, *, stop: threading.Event | None = None) -> Runner:
        recorded = set(self.state.data["steps"])
        return Runner(self.steps, self.ctx, self.reporter, parallel=self.options.parallel,
                      retired=self.pipeline.retired(self.config, recorded), stop=stop)


def _serving(emulator: Any, time_scale: float) -> Target:
    from .emulator.child import EmulatorStartError

    try:
        return Target.endpoint(emulator.url, emulator.ca_cert, emulator=True, time_scale=time_scale)
    except EmulatorStartError as exc:
        raise ToolError(str(exc)) from None


def _fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two. glibc gives threads arenas of their own (up to 8 per core) and a run has
    some thirty threads (steps, the embedded emulator's connections), each arena keeping its own free memory:
    about 5 MB of peak RSS, for nothing under the GIL. MALLOC_ARENA_MAX, when set, decides instead."""
    if sys.platform != "linux" or "MALLOC_ARENA_MAX" in os.environ:
        return
    import ctypes

    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # glibc's; musl has none
    if mallopt is not None:
        mallopt(-8, 2)  # M_ARENA_MAX


class _Progress:
    """The context's progress sink: forwards to the display while one is up, says nothing otherwise (a read
    after the display closed must not start a new one over the results)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def progress(self, step: Managed, message: str) -> None:
        if self._session.reporting:
            self._session.reporter.progress(step, message)


def failures(results: list[StepResult]) -> list[StepResult]:
    return [r for r in results if r.failed]


def first_failure(results: list[StepResult]) -> ToolError:
    failed = failures(results)
    error = failed[0].error or ToolError(f"{failed[0].title} failed")
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return ToolError(f"{failed[0].title}: {error.message}{more}", hint=error.hint)
