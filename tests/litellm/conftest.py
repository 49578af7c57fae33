"""The real LiteLLM proxy, pinned and in a virtual environment of its own, run on the exact config.yaml and
environment that foundry_litellm.litellm_config renders for the container app, in front of a fake Azure OpenAI.

The venv is built once under <repo>/.cache and reused; a file lock keeps pytest-xdist workers from building it
twice. Each worker that runs these tests starts its own proxies (one per gateway below) and always stops them.
No database: the DB-backed proxy needs Prisma engines that can only be downloaded at run time (litellm notes §2),
so the config is rendered with ``with_database=False``, which drops only the database settings.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundry_litellm import litellm_config
from foundry_litellm.config import DEFAULT_MODELS, GatewaySection, ModelSection
from tests.litellm.fake_azure import FakeAzureOpenAI
from tests.litellm.redis_server import Redis, running_redis
from tests.tools import free_port

LITELLM_VERSION = "1.108.7"  # the image's release line (config.DEFAULT_IMAGE); see the litellm notes §1
REQUIREMENTS = (
    f"litellm[proxy]=={LITELLM_VERSION}",
    # Our config has `callbacks: [otel]`, and 1.108.7 refuses to start without the OpenTelemetry SDK, which
    # `[proxy]` lacks. The image ships it; these are the pins of litellm 1.108.7's own `proxy-runtime` extra.
    "opentelemetry-api==1.45.1",
    "opentelemetry-sdk==1.45.1",
    "opentelemetry-exporter-otlp==1.45.1",
    "grpcio==1.84.1",
    # The Python package only (no engines, no database): 1.108.7's auth-error path imports it, and answers 500
    # instead of 401 to a request without a key when it is missing. The image ships it (litellm[extra_proxy]).
    "prisma==0.15.0",
)
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".cache" / f"litellm-{LITELLM_VERSION}"
INSTALL_TIMEOUT = 480.0  # seconds; the first test's 600 s pytest-timeout covers this and the proxy's start
READY_TIMEOUT = 120.0
HERE = Path(__file__).resolve().parent

# A fourth model beside the defaults, with its own api_version, the odd-but-valid characters a name may have,
# and a deployment not named after its model.
EXTRA_MODEL = ModelSection(name="team_a.gpt-4o", deployment="gpt-4o-prod.eu", api_version="2024-10-21", model="gpt-4o")
CUSTOM_GATEWAY = GatewaySection(models=[*DEFAULT_MODELS, EXTRA_MODEL], log_prompts=True)


# ---------------------------------------------------------------------------------------------- the venv


def ensure_venv(venv: Path = VENV, requirements: tuple[str, ...] = REQUIREMENTS) -> Path:
    """The venv holding exactly ``requirements``, built if missing or stale; returns its directory."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    stamp = venv / "foundry-litellm-requirements.txt"  # written last: its presence means the install finished
    wanted = "\n".join(requirements) + "\n"
    with _locked(venv.parent / f"{venv.name}.lock"):
        if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / "litellm").is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # a half-built or outdated venv: start again
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        log = venv.parent / f"{venv.name}-install.log"
        started = time.monotonic()
        try:
            with log.open("w") as out:
                result = subprocess.run(
                    [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                     "--no-input", *requirements],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.fail(f"pip install {' '.join(requirements)} did not finish in {INSTALL_TIMEOUT:.0f} s; this test "
                        f"needs PyPI. pip's output: {log}\n{_tail(log)}", pytrace=False)
        if result.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            pytest.fail(f"could not install {' '.join(requirements)} into {venv}: pip exited {result.returncode} "
                        f"after {time.monotonic() - started:.0f} s. This test needs PyPI (CI has it); it does not "
                        f"skip without it. pip's output: {log}\n{_tail(log)}", pytrace=False)
        stamp.write_text(wanted)
        return venv


@contextmanager
def _locked(path: Path, timeout: float = INSTALL_TIMEOUT + 60) -> Iterator[None]:
    # Polled rather than blocking, so a stuck holder gives a clear failure instead of a pytest-timeout dump.
    deadline = time.monotonic() + timeout
    with path.open("w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{path} stayed locked for {timeout:.0f} s: another test run is building the "
                                "LiteLLM venv", pytrace=False)
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace").splitlines() if path.is_file() else []
    return "\n".join(text[-lines:])


# ---------------------------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, *, headers: dict[str, str] | None = None, payload: dict[str, Any] | None = None,
         timeout: float = 60) -> Reply:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, response.read(), {k.lower(): v for k, v in response.headers.items()})
    except urllib.error.HTTPError as error:  # 4xx and 5xx are answers too
        return Reply(error.code, error.read(), {k.lower(): v for k, v in error.headers.items()})



# ---------------------------------------------------------------------------------------------- the proxy


@dataclass(frozen=True)
class Proxy:
    url: str
    gateway: GatewaySection
    secret_values: dict[str, str]  # the test values given for the app's secretRef variables
    azure: FakeAzureOpenAI
    config: Path
    log: Path
    traces: Path  # one JSON line per OTLP export request the proxy sent

    @property
    def master_key(self) -> str:
        return self.secret_values["LITELLM_MASTER_KEY"]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}


def app_environment(gateway: GatewaySection, *, api_base: str, public_url: str,
                    secret_values: dict[str, str]) -> dict[str, str]:
    """What the container app's environment resolves to, less DATABASE_URL; secretRefs get the test values."""
    env: dict[str, str] = {}
    for entry in litellm_config.environment(gateway, api_base=api_base, public_url=public_url):
        name = entry["name"]
        if "value" in entry:
            env[name] = entry["value"]
        elif name != "DATABASE_URL":  # no database in this test (see the module docstring)
            if name not in secret_values:
                raise AssertionError(f"the app gained a secret {name} ({entry['secretRef']}): give it a test value")
            env[name] = secret_values[name]
    return env


def fake_secrets() -> dict[str, str]:
    return {
        "LITELLM_MASTER_KEY": "sk-" + secrets.token_hex(16),  # LiteLLM requires the sk- prefix
        "LITELLM_SALT_KEY": "sk-" + secrets.token_hex(16),
        "UI_PASSWORD": secrets.token_urlsafe(16),
        "AZURE_API_KEY": secrets.token_hex(16),
    }


@contextmanager
def running_proxy(venv: Path, gateway: GatewaySection, workdir: Path) -> Iterator[Proxy]:
    workdir.mkdir(parents=True, exist_ok=True)
    values = fake_secrets()
    config = workdir / "config.yaml"
    config.write_text(litellm_config.render(gateway, with_database=False))
    traces = workdir / "traces.jsonl"
    traces.touch()
    log = workdir / "proxy.log"
    with FakeAzureOpenAI(values["AZURE_API_KEY"]) as azure, collector(venv, traces) as collector_port, \
            _redis_if_shared(gateway, workdir / "redis") as redis:
        env = {
            **app_environment(gateway, api_base=azure.url, public_url="http://127.0.0.1", secret_values=values),
            **(redis.environment() if redis else {}),
        }
        with launched(venv, config, env, workdir, log, collector_port) as url:
            yield Proxy(url=url, gateway=gateway, secret_values=values, azure=azure, config=config, log=log,
                        traces=traces)


@contextmanager
def _redis_if_shared(gateway: GatewaySection, workdir: Path) -> Iterator[Redis | None]:
    """The gateway's Redis when its config names one (max_replicas > 1 or gateway.redis)."""
    if not gateway.shared_state:
        yield None
        return
    with running_redis(workdir) as redis:
        yield redis


@contextmanager
def launched(venv: Path, config: Path, app_env: dict[str, str], workdir: Path, log: Path,
             collector_port: int) -> Iterator[str]:
    """``litellm --config`` with the app's environment, until the block ends; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),  # nothing it writes lands in the real home
        **app_env,
        "PROXY_BASE_URL": url,
        # Stands in for the environment's managed OpenTelemetry agent, which injects the endpoint.
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans after 0.2 s instead of 5 s, to keep the test short
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "litellm"), "--config", str(config), "--port", str(port), "--host", "127.0.0.1"],
            env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)  # its own process group, so teardown ends whatever it spawned
    try:
        _wait_ready(process, url, log)
        yield url
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"litellm exited with {process.returncode} before it was ready. Its log ({log}):\n"
                        f"{_tail(log, 40)}", pytrace=False)
        try:
            if http("GET", f"{url}/health/readiness", timeout=2).status == 200:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.25)
    pytest.fail(f"litellm was not ready within {READY_TIMEOUT:.0f} s. Its log ({log}):\n{_tail(log, 40)}",
                pytrace=False)


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def collector(venv: Path, traces: Path) -> Iterator[int]:
    """The fake OTLP/gRPC collector (otlp_collector.py, run by the LiteLLM venv's Python); yields its port."""
    process = subprocess.Popen([str(venv / "bin" / "python"), str(HERE / "otlp_collector.py"), str(traces)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            _stop(process)
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"the OTLP test collector did not start: {line!r} {error[-2000:]}", pytrace=False)
        yield int(line)
    finally:
        _stop(process)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def litellm_venv() -> Path:
    return ensure_venv()


@pytest.fixture(scope="session")
def proxy(litellm_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The proxy on the default gateway section: the three default models, prompts kept out of traces."""
    with running_proxy(litellm_venv, GatewaySection(), tmp_path_factory.mktemp("litellm-default")) as running:
        yield running


@pytest.fixture(scope="session")
def custom_proxy(litellm_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The proxy on a non-default gateway section: a fourth model, and log_prompts on."""
    with running_proxy(litellm_venv, CUSTOM_GATEWAY, tmp_path_factory.mktemp("litellm-custom")) as running:
        yield running
