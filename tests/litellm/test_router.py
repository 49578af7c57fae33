"""The router the config renders, on the real LiteLLM proxy: two instances sharing a real redis-server, in front
of three fake Azure OpenAI accounts (east, west, north), each with its own key. Calls are counted per upstream;
no assertion depends on how fast the machine is, only LiteLLM's own rpm window is the calendar minute.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from foundry_litellm import litellm_config
from foundry_litellm.config import GatewaySection, ModelSection, ModelUpstream, RouterSection, UpstreamSection
from tests.litellm.conftest import Reply, app_environment, collector, http, launched
from tests.litellm.fake_azure import REPLY, FakeAzureOpenAI
from tests.litellm.redis_server import running_redis

pytestmark = pytest.mark.litellm

REGIONS = ("east", "west", "north")
LIMIT = 3  # rpm of the limited upstreams


def _model(name: str, *routes: str | ModelUpstream, fallbacks: tuple[str, ...] = ()) -> ModelSection:
    # The deployment is named after the model, so each fake counts a model's calls apart from the others'.
    return ModelSection(name=name, deployment=name, api_version="2024-10-21", model="gpt-4o",
                        upstreams=[r if isinstance(r, ModelUpstream) else ModelUpstream(name=r) for r in routes],
                        fallbacks=list(fallbacks))


MODELS = [
    _model("spread", ModelUpstream(name="east", weight=3), ModelUpstream(name="west", weight=1)),
    *(_model(f"cool-{case}", "east", "west") for case in ("429", "429-retry-after", "500")),
    _model("doomed", "east", "west", fallbacks=("rescue",)),
    _model("rescue", "north"),
    _model("limited", ModelUpstream(name="north", rpm=LIMIT)),
    _model("tiered", ModelUpstream(name="east", order=1, rpm=LIMIT), ModelUpstream(name="west", order=2)),
]
UPSTREAMS = [UpstreamSection(name=n, base=f"https://{n}.openai.azure.com", key_env=f"{n.upper()}_KEY")
             for n in REGIONS]
# A cooldown longer than any test, so a cooled-down upstream provably stays out; one failure is enough for a 500.
ROUTER = RouterSection(num_retries=2, allowed_fails=1, cooldown_time=600)
SHARED = GatewaySection(upstreams=UPSTREAMS, models=MODELS, router=ROUTER, max_replicas=2, redis=True)
ALONE = GatewaySection(upstreams=UPSTREAMS, models=MODELS, router=ROUTER, max_replicas=1, redis=False)
# Another strategy than the default, on its own pair: LiteLLM keeps each upstream's recent latency (in Redis here).
LATENCY = GatewaySection(upstreams=UPSTREAMS, models=[_model("quick", "east", "west")], max_replicas=2, redis=True,
                         router=RouterSection(strategy="latency-based-routing"))
SLOW = 1.5  # seconds west takes: far beyond any delay of a loaded machine's loopback


@dataclass(frozen=True)
class Pair:
    """Two proxy instances on one rendered config, as two replicas of the app."""

    urls: tuple[str, str]
    master_key: str
    fakes: dict[str, FakeAzureOpenAI]
    logs: tuple[Path, Path]
    secret_values: dict[str, str]  # every key the instances were given, and Redis's password

    def chat(self, i: int, model: str) -> Reply:
        return http("POST", f"{self.urls[i % 2]}/v1/chat/completions",
                    headers={"Authorization": f"Bearer {self.master_key}"},
                    payload={"model": model, "messages": [{"role": "user", "content": f"call {i}"}]})

    def calls(self, region: str, model: str) -> int:
        return self.fakes[region].calls(model)


def _pair(venv: Path, gateway: GatewaySection, workdir: Path) -> Iterator[Pair]:
    workdir.mkdir(parents=True, exist_ok=True)
    keys = {n: secrets.token_hex(16) for n in REGIONS}
    values = {"LITELLM_MASTER_KEY": "sk-" + secrets.token_hex(16), "LITELLM_SALT_KEY": "sk-" + secrets.token_hex(16),
              "UI_PASSWORD": secrets.token_urlsafe(16),
              **{litellm_config.upstream_env(n)[1]: keys[n] for n in REGIONS}}
    config = workdir / "config.yaml"
    config.write_text(litellm_config.render(gateway, with_database=False))
    traces = workdir / "traces.jsonl"
    with ExitStack() as stack:
        fakes = {n: stack.enter_context(FakeAzureOpenAI(keys[n])) for n in REGIONS}
        port = stack.enter_context(collector(venv, traces))
        env = app_environment(gateway, api_base="", public_url="http://127.0.0.1", secret_values=values)
        env.update({litellm_config.upstream_env(n)[0]: fakes[n].url for n in REGIONS})
        if gateway.shared_state:
            redis = stack.enter_context(running_redis(workdir / "redis", tls=True))  # as Azure's: TLS only
            env.update(redis.environment())
            values["REDIS_PASSWORD"] = redis.password
        urls = tuple(stack.enter_context(launched(venv, config, env, workdir / f"proxy-{i}",
                                                  workdir / f"proxy-{i}.log", port)) for i in range(2))
        yield Pair((urls[0], urls[1]), values["LITELLM_MASTER_KEY"], fakes,
                   (workdir / "proxy-0.log", workdir / "proxy-1.log"), values)


@pytest.fixture(scope="module")
def shared(litellm_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(litellm_venv, SHARED, tmp_path_factory.mktemp("router-shared"))


@pytest.fixture(scope="module")
def alone(litellm_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(litellm_venv, ALONE, tmp_path_factory.mktemp("router-alone"))


@pytest.fixture(scope="module")
def by_latency(litellm_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    yield from _pair(litellm_venv, LATENCY, tmp_path_factory.mktemp("router-latency"))


def within_one_minute() -> None:
    """LiteLLM counts rpm and failures per calendar minute (keys end in %H-%M): start such a test early in a
    minute, so its few calls (seconds at most) all land in the same window."""
    second = time.time() % 60
    if second > 30:
        time.sleep(60.5 - second)


def ok(reply: Reply) -> bool:
    return reply.status == 200 and reply.json()["choices"][0]["message"]["content"] == REPLY


# ---------------------------------------------------------------------------------------------- tests


def test_every_rendered_router_setting_is_accepted(shared: Pair) -> None:
    # 1.108.7 drops a router_settings key it does not know with a warning, and starts anyway.
    for log in shared.logs:
        records = [json.loads(line) for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]
        messages = [r["message"] for r in records]
        startup = records[:messages.index("Application startup complete.")]
        complaints = [r["message"] for r in startup if r.get("level") in {"WARNING", "ERROR", "CRITICAL"}
                      and not r["message"].startswith("trusted_proxy_ranges is not set")]
        assert complaints == [], log
        text = log.read_text(errors="replace") + (log.parent / "config.yaml").read_text()
        for name, value in shared.secret_values.items():
            assert value not in text, f"{name}'s value is in {log.name} or the rendered config"




def test_requests_spread_over_upstreams_by_weight(shared: Pair) -> None:
    replies = [shared.chat(i, "spread") for i in range(60)]
    assert all(ok(r) for r in replies), [r.body for r in replies if not ok(r)][:3]
    east, west = shared.calls("east", "spread"), shared.calls("west", "spread")
    assert east + west == 60
    assert west >= 3, (east, west)  # both serve ...
    assert east > west, (east, west)  # ... in proportion to weight 3:1 (expected 45:15)


# A Retry-After sets the cooldown (before cooldown_time), so it is long here: a short one would let west back in
# at a moment the test cannot control.
@pytest.mark.parametrize(("case", "status", "retry_after"),
                         [("429", 429, None), ("429-retry-after", 429, 600), ("500", 500, None)])
def test_a_failing_upstream_is_cooled_down_without_errors_to_clients(shared: Pair, case: str, status: int,
                                                                     retry_after: int | None) -> None:
    model = f"cool-{case}"
    within_one_minute()  # allowed_fails counts failures per calendar minute too
    shared.fakes["west"].fail(status, deployment=model, retry_after=retry_after)
    replies = [shared.chat(i, model) for i in range(40)]
    assert all(ok(r) for r in replies), [r.body for r in replies if not ok(r)][:3]
    tried = shared.calls("west", model)
    # Without a cooldown about half the calls (20) would try west first. With one: allowed_fails + 1 failures
    # (on each instance, at worst), plus any call that raced the asynchronous failure callback.
    assert tried <= 8, tried
    later = [shared.chat(i, model) for i in range(20)]
    assert all(ok(r) for r in later)
    assert shared.calls("west", model) == tried  # the cooldown holds, on both instances
    assert shared.calls("east", model) == 60  # every call succeeded on east


def test_a_model_whose_upstreams_all_fail_falls_back(shared: Pair) -> None:
    for region in ("east", "west"):
        shared.fakes[region].fail(500, deployment="doomed")
    replies = [shared.chat(i, "doomed") for i in range(6)]
    assert all(ok(r) for r in replies), [r.body for r in replies if not ok(r)][:3]
    assert shared.calls("north", "rescue") == 6
    assert shared.calls("east", "doomed") + shared.calls("west", "doomed") >= 1


def test_an_rpm_limit_holds_across_instances_sharing_redis(shared: Pair) -> None:
    within_one_minute()
    replies = [shared.chat(i, "limited") for i in range(3 * LIMIT)]
    assert sum(ok(r) for r in replies) == LIMIT, [r.status for r in replies]
    assert {r.status for r in replies if not ok(r)} == {429}
    assert shared.calls("north", "limited") == LIMIT  # refused calls never reach the upstream


def test_without_redis_each_instance_allows_the_limit(alone: Pair) -> None:
    within_one_minute()
    replies = [alone.chat(i, "limited") for i in range(3 * LIMIT)]
    assert sum(ok(r) for r in replies) == 2 * LIMIT, [r.status for r in replies]
    assert alone.calls("north", "limited") == 2 * LIMIT


def test_priority_tiers_fill_order_1_first(shared: Pair) -> None:
    within_one_minute()
    first = [shared.chat(i, "tiered") for i in range(LIMIT)]
    assert all(ok(r) for r in first)
    assert (shared.calls("east", "tiered"), shared.calls("west", "tiered")) == (LIMIT, 0)
    rest = [shared.chat(i, "tiered") for i in range(5)]
    assert all(ok(r) for r in rest), [r.body for r in rest if not ok(r)][:3]
    assert (shared.calls("east", "tiered"), shared.calls("west", "tiered")) == (LIMIT, 5)


def test_latency_based_routing_moves_calls_to_the_faster_upstream(by_latency: Pair) -> None:
    by_latency.fakes["west"].slow(SLOW, deployment="quick")
    warm_up = [by_latency.chat(i, "quick") for i in range(6)]  # until both upstreams have a measured latency
    assert all(ok(r) for r in warm_up)
    assert by_latency.calls("west", "quick") >= 1, "both upstreams must have been measured"
    before = by_latency.calls("west", "quick")
    replies = [by_latency.chat(i, "quick") for i in range(20)]
    assert all(ok(r) for r in replies)
    # Under simple-shuffle about 10 of the 20 would go to west.
    assert by_latency.calls("west", "quick") - before <= 2, by_latency.calls("west", "quick") - before
