"""The real LiteLLM proxy (pinned in conftest.py) accepts the config.yaml and environment we render for the
container app, and does with them what the gateway promises: probes, key checks, routing to each Azure
deployment with its api_version and key, SSE, dropped parameters, JSON logs, and traces without prompts.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from foundry_litellm.config import DEFAULT_MODELS, ModelSection
from tests.litellm.conftest import EXTRA_MODEL, Proxy, Reply, http
from tests.litellm.fake_azure import REPLY, Recorded

pytestmark = pytest.mark.litellm


def chat(proxy: Proxy, model: str, content: str, **extra: Any) -> Reply:
    return http("POST", f"{proxy.url}/v1/chat/completions", headers=proxy.auth,
                payload={"model": model, "messages": [{"role": "user", "content": content}], **extra})


def cost(reply: Reply) -> float:
    """The call's cost as LiteLLM computed it (x-litellm-response-cost; absent when it cannot tell)."""
    return float(reply.headers.get("x-litellm-response-cost") or 0)


def marker() -> str:
    return f"marker-{uuid.uuid4().hex}"  # finds this test's request upstream and in traces, whoever else calls


def upstream(proxy: Proxy, mark: str) -> list[Recorded]:
    return [r for r in proxy.azure.requests if mark in json.dumps(r.body)]


def assert_routed(proxy: Proxy, model: ModelSection, mark: str) -> Recorded:
    sent = upstream(proxy, mark)
    assert len(sent) == 1, sent
    request = sent[0]
    assert (request.method, request.path) == ("POST", f"/openai/deployments/{model.deployment}/chat/completions")
    assert request.query == {"api-version": [model.api_version]}
    assert request.api_key == proxy.secret_values["AZURE_API_KEY"]
    assert request.authorization is None  # the key goes in api-key only, never as a bearer token
    return request


# ---------------------------------------------------------------------------------------------- default gateway


def test_health_probes_answer_without_auth(proxy: Proxy) -> None:
    live = http("GET", f"{proxy.url}/health/liveliness")
    assert live.status == 200
    ready = http("GET", f"{proxy.url}/health/readiness")
    assert ready.status == 200
    assert ready.json()["status"] == "healthy"


def test_models_are_listed_with_the_master_key_only(proxy: Proxy) -> None:
    assert http("GET", f"{proxy.url}/v1/models").status == 401
    # Without a database a key that is not the master key cannot be looked up: 1.108.7 answers 400.
    assert http("GET", f"{proxy.url}/v1/models", headers={"Authorization": "Bearer sk-not-the-key"}).status != 200
    for headers in (proxy.auth, {"api-key": proxy.master_key}):  # bearer, and the api-key header Foundry sends
        listed = http("GET", f"{proxy.url}/v1/models", headers=headers)
        assert listed.status == 200, listed.body
        assert sorted(m["id"] for m in listed.json()["data"]) == sorted(m.name for m in DEFAULT_MODELS)


@pytest.mark.parametrize("model", DEFAULT_MODELS, ids=lambda m: m.name)
def test_each_model_reaches_its_azure_deployment(proxy: Proxy, model: ModelSection) -> None:
    mark = marker()
    reply = chat(proxy, model.name, mark, max_tokens=16)
    assert reply.status == 200, reply.body
    assert reply.json()["choices"][0]["message"]["content"] == REPLY
    assert_routed(proxy, model, mark)
    assert cost(reply) > 0  # the model is known to LiteLLM's local cost map: spend can be tracked


def test_chat_without_the_master_key_is_refused(proxy: Proxy) -> None:
    mark = marker()
    reply = http("POST", f"{proxy.url}/v1/chat/completions",
                 payload={"model": DEFAULT_MODELS[0].name, "messages": [{"role": "user", "content": mark}]})
    assert reply.status == 401
    assert upstream(proxy, mark) == []


def test_streaming_is_relayed_as_sse(proxy: Proxy) -> None:
    model = DEFAULT_MODELS[1]
    mark = marker()
    reply = chat(proxy, model.name, mark, stream=True)
    assert reply.status == 200, reply.body
    events = [line.removeprefix("data: ") for line in reply.body.decode().splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]) == REPLY
    assert assert_routed(proxy, model, mark).body["stream"] is True


def test_unsupported_parameters_are_dropped(proxy: Proxy) -> None:
    # drop_params: o-series models take no temperature; LiteLLM drops it rather than failing the call.
    model = next(m for m in DEFAULT_MODELS if m.deployment == "o3-mini")
    mark = marker()
    reply = chat(proxy, model.name, mark, temperature=0.2)
    assert reply.status == 200, reply.body
    assert "temperature" not in assert_routed(proxy, model, mark).body


def test_logs_are_json_and_startup_is_clean(proxy: Proxy) -> None:
    lines = proxy.log.read_text(errors="replace").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]  # the banner is printed, not logged
    messages = [r["message"] for r in records]
    assert "Application startup complete." in messages  # json_logs: uvicorn's own lines are JSON too
    startup = records[:messages.index("Application startup complete.")]
    # The one warning 1.108.7 gives about our config; anything else (an unknown or rejected setting) fails here.
    known = ("trusted_proxy_ranges is not set",)
    complaints = [r for r in startup if r.get("level") in {"WARNING", "ERROR", "CRITICAL"}
                  and not r["message"].startswith(known)]
    assert complaints == []
    text = "\n".join(lines) + proxy.config.read_text()
    for name, value in proxy.secret_values.items():
        assert value not in text, f"{name}'s value is in the log or the rendered config"


def test_traces_reach_the_collector_without_prompts(proxy: Proxy) -> None:
    model = DEFAULT_MODELS[0]
    mark = marker()
    reply = chat(proxy, model.name, mark)
    assert reply.status == 200, reply.body
    trace = wait_for_trace(proxy, reply.json()["id"])
    request_span = next(s for s in trace if s["name"] == "litellm_request")
    assert attributes(request_span)["litellm.model_group"] == model.name
    assert all(s["resource"].get("service.name") == "litellm" for s in trace)  # OTEL_SERVICE_NAME
    time.sleep(1)  # let any straggling span of this request be exported before looking for the prompt
    assert mark not in proxy.traces.read_text()  # turn_off_message_logging (log_prompts = false)


# ---------------------------------------------------------------------------------------------- custom gateway


def test_a_custom_model_list_renders_and_routes(custom_proxy: Proxy) -> None:
    models = custom_proxy.gateway.models
    assert EXTRA_MODEL in models
    listed = http("GET", f"{custom_proxy.url}/v1/models", headers=custom_proxy.auth)
    assert listed.status == 200, listed.body
    assert sorted(m["id"] for m in listed.json()["data"]) == sorted(m.name for m in models)
    for model in models:
        mark = marker()
        reply = chat(custom_proxy, model.name, mark)
        assert reply.status == 200, (model.name, reply.body)
        assert_routed(custom_proxy, model, mark)
        # For the deployment named otherwise (the fake reports the deployment's name as the model, so only
        # model_info.base_model can tell LiteLLM what it is).
        assert cost(reply) > 0, model
    assert "Could not identify azure model" not in custom_proxy.log.read_text()


def test_traces_carry_prompts_when_log_prompts_is_on(custom_proxy: Proxy) -> None:
    # The control for the default gateway's check: with log_prompts the same search does find the prompt.
    mark = marker()
    reply = chat(custom_proxy, EXTRA_MODEL.name, mark)
    assert reply.status == 200, reply.body
    deadline = time.monotonic() + 30
    while mark not in json.dumps(wait_for_trace(custom_proxy, reply.json()["id"])):
        assert time.monotonic() < deadline, "the prompt never reached the traces although log_prompts is on"
        time.sleep(0.2)


# ---------------------------------------------------------------------------------------------- traces


def attributes(span: dict[str, Any]) -> dict[str, Any]:
    return {a["key"]: next(iter(a["value"].values()), None) for a in span.get("attributes", [])}


def exported_spans(proxy: Proxy) -> list[dict[str, Any]]:
    """Every span the collector received, each with its resource's attributes under "resource"."""
    spans: list[dict[str, Any]] = []
    for line in proxy.traces.read_text().splitlines():
        for resource_spans in json.loads(line).get("resourceSpans", []):
            resource = attributes(resource_spans.get("resource", {}))
            for scope in resource_spans.get("scopeSpans", []):
                spans += [{**span, "resource": resource} for span in scope.get("spans", [])]
    return spans


def wait_for_trace(proxy: Proxy, response_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The spans of the trace whose litellm_request span reports ``response_id`` (the fake's unique id)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = exported_spans(proxy)
        trace_ids = {s["traceId"] for s in spans if attributes(s).get("gen_ai.response.id") == response_id}
        if trace_ids:
            return [s for s in spans if s["traceId"] in trace_ids]
        assert time.monotonic() < deadline, f"no span for response {response_id} within {timeout:.0f} s"
        time.sleep(0.2)
