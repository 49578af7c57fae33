"""The LiteLLM proxy's config.yaml, rendered from the configured models, and the environment the container
app gives it. The file holds no secret: keys are ``os.environ/...`` references the app resolves from Key
Vault at start.
"""

from __future__ import annotations

from typing import Any

from .config import DEFAULT_UPSTREAM, GatewaySection, ModelSection, ModelUpstream

# Container app secret names (Key Vault references) and the environment variables they feed; the upstreams' keys
# are added per upstream (secret_env).
SECRET_ENV = {
    "LITELLM_MASTER_KEY": "litellm-master-key",
    "LITELLM_SALT_KEY": "litellm-salt-key",
    "UI_PASSWORD": "litellm-ui-password",
    "DATABASE_URL": "database-url",
}
UPSTREAM_KEY_SECRET = "openai-api-key"  # noqa: S105 - a secret's name: the implicit upstream's key, and the prefix of named ones'
CONFIG_SECRET = "litellm-config"  # noqa: S105 - a secret's name: the rendered file, delivered as a plain app secret on a Secret volume
CONFIG_DIR = "/app/config"
CONFIG_FILE = "config.yaml"
PORT = 4000
# What the app gets from the Redis side when the gateway shares state: host and port as plain values, the
# password as a Key Vault reference. REDIS_SSL is ours: Azure Managed Redis accepts TLS only (port 10000).
REDIS_ENV = ("REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD")
REDIS_SSL_ENV = "REDIS_SSL"
# 1.108.7 keeps rpm/tpm as routing inputs only, unless this pre-call check enforces them (router.py:2755,
# router_utils/pre_call_checks/model_rate_limit_check.py): over the limit, the upstream raises a 429 inside the
# router, which then tries the next priority tier or the model's fallbacks.
ENFORCE_LIMITS = "enforce_model_rate_limits"


def upstream_env(name: str) -> tuple[str, str]:
    """The app's variables for an upstream's base URL and key: AZURE_API_BASE/KEY for the implicit one."""
    if name == DEFAULT_UPSTREAM:
        return "AZURE_API_BASE", "AZURE_API_KEY"
    suffix = name.upper().replace("-", "_")
    return f"AZURE_API_BASE_{suffix}", f"AZURE_API_KEY_{suffix}"


def upstream_secret(name: str) -> str:
    """The Key Vault secret (and container app secret) holding an upstream's key."""
    return UPSTREAM_KEY_SECRET if name == DEFAULT_UPSTREAM else f"{UPSTREAM_KEY_SECRET}-{name}"


def secret_env(gateway: GatewaySection) -> dict[str, str]:
    """Every secret variable of the app -> its secret's name: the generated ones and one key per upstream."""
    env = dict(SECRET_ENV)
    env.update({upstream_env(name)[1]: upstream_secret(name) for name in gateway.upstream_names})
    return env


# Upstream 429s an overflow tier may take in a minute before a cooldown (see _deployment).
OVERFLOW_RATE_LIMIT_FAILS = 1000


def _overflow_tier(model: ModelSection, route: ModelUpstream, routes: list[ModelUpstream]) -> bool:
    """True when a limited upstream of a lower order can overflow into this one."""
    return route.order is not None and any(
        r.order is not None and r.order < route.order and (r.rpm or r.tpm) for r in routes)


def _deployment(model: ModelSection, route: ModelUpstream, routes: list[ModelUpstream]) -> dict[str, Any]:
    base_env, key_env = upstream_env(route.name)
    params: dict[str, Any] = {
        "model": f"azure/{model.deployment}",
        "api_base": f"os.environ/{base_env}",
        "api_key": f"os.environ/{key_env}",
        "api_version": model.api_version,
    }
    # The same names LiteLLM reads from litellm_params: rpm/tpm (limits, enforced by ENFORCE_LIMITS), weight
    # (simple-shuffle's share), order (utils.get_order_filtered_deployments: the lowest tier first).
    params.update({k: v for k, v in route.model_dump(exclude={"name"}).items() if v is not None})
    info: dict[str, Any] = {
        # A fixed id: rate-limit and cooldown keys carry it (model_id:...:rpm:minute), so every replica counts
        # against the same key in Redis (a generated id would differ between replicas).
        "id": f"{model.name}@{route.name}",
    }
    # A deployment not named after its model: LiteLLM can't identify it (an error logged on every call, no
    # model limits, cost only from what Azure reports) unless told the base model.
    if model.model:
        info["base_model"] = f"azure/{model.model}"
    if _overflow_tier(model, route, routes):
        # 1.108.7 charges the lower tier's over-limit 429 (its pre-call check) to the upstream that then served
        # the call (the attempt and its order fallback share litellm_params.model_info), so the overflow tier
        # was cooled down after allowed_fails overflow calls and clients got 429s. Its own 429s are still
        # retried on its siblings; 5xx keep allowed_fails.
        info["allowed_fails_policy"] = {"RateLimitErrorAllowedFails": OVERFLOW_RATE_LIMIT_FAILS}
    return {"model_name": model.name, "litellm_params": params, "model_info": info}


def router_settings(gateway: GatewaySection) -> dict[str, Any]:
    router = gateway.router
    settings: dict[str, Any] = {
        "routing_strategy": router.strategy,
        "num_retries": router.num_retries,
        "timeout": router.timeout or gateway.request_timeout_seconds,
        "allowed_fails": router.allowed_fails,
        "cooldown_time": router.cooldown_time,
        "optional_pre_call_checks": [ENFORCE_LIMITS],
    }
    if router.strategy == "simple-shuffle":
        # A retry may pick the upstream that just failed again (a 500 under allowed_fails reached the client in
        # 1.108.7); this re-picks among the model's other upstreams first (router.py:1207).
        settings["enable_weighted_failover"] = True
    fallbacks = [{m.name: list(m.fallbacks)} for m in gateway.models if m.fallbacks]
    if fallbacks:
        settings["fallbacks"] = fallbacks
    if gateway.shared_state:
        # Router.__init__ builds its DualCache (usage, cooldowns, rpm counts) on Redis when given host and port
        # (router.py:1279); cache_kwargs reach redis-py, whose ssl flag LiteLLM coerces from the string.
        settings.update({"redis_host": "os.environ/REDIS_HOST", "redis_port": "os.environ/REDIS_PORT",
                         "redis_password": "os.environ/REDIS_PASSWORD",
                         "cache_kwargs": {"ssl": f"os.environ/{REDIS_SSL_ENV}"}})
    return settings


def render(gateway: GatewaySection, *, with_database: bool = True) -> str:
    """config.yaml for the configured models (LiteLLM notes §3: production settings)."""
    names = gateway.upstream_names
    models = [_deployment(m, route, m.routes(names)) for m in gateway.models for route in m.routes(names)]
    general: dict[str, Any] = {
        # Under general_settings, or the proxy accepts any key (BerriAI/litellm-docs PR #1184).
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "store_prompts_in_spend_logs": gateway.log_prompts,
    }
    if with_database:
        general.update({"database_url": "os.environ/DATABASE_URL", "proxy_batch_write_at": 60,
                        "database_connection_pool_limit": 10})
    settings: dict[str, Any] = {
        "request_timeout": gateway.request_timeout_seconds,
        "set_verbose": False,
        "json_logs": True,
        "telemetry": False,
        "drop_params": True,
        "callbacks": ["otel"],  # traces to the environment's managed OpenTelemetry agent
        "turn_off_message_logging": not gateway.log_prompts,  # prompts and responses stay out of traces
    }
    document = {"model_list": models, "router_settings": router_settings(gateway), "general_settings": general,
                "litellm_settings": settings}
    header = "# Rendered by foundry-litellm. No secret values: keys are os.environ/... references.\n"
    import yaml  # here: every run imports this module (through the steps), and yaml costs 10 ms of start-up

    body: str = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return header + body


def environment(gateway: GatewaySection, *, api_base: str, public_url: str) -> list[dict[str, str]]:
    """The app's environment: plain values, and secret references by name. ``api_base`` is the implicit
    upstream's (OPENAI_API_BASE); named upstreams carry their own."""
    plain = {
        "LITELLM_MODE": "PRODUCTION",  # no .env loading
        "LITELLM_LOG": "INFO",
        "PROXY_BASE_URL": public_url,  # the UI's login redirects need the public https URL (litellm#11951)
        "UI_USERNAME": gateway.ui_username,
        "STORE_MODEL_IN_DB": "False",  # config.yaml is the source of truth
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no egress needed for the cost map
        "OTEL_EXPORTER": "otlp_grpc",
        "OTEL_SERVICE_NAME": "litellm",
    }
    bases = {u.name: u.base for u in gateway.upstreams} or {DEFAULT_UPSTREAM: api_base}
    plain.update({upstream_env(name)[0]: base for name, base in bases.items()})
    if gateway.shared_state:
        plain[REDIS_SSL_ENV] = "True"
    env = [{"name": k, "value": v} for k, v in plain.items()]
    env += [{"name": k, "secretRef": v} for k, v in secret_env(gateway).items()]
    return env


def args() -> list[str]:
    """One worker per replica (LiteLLM's production guidance): no --num_workers; replicas scale out."""
    return ["--config", f"{CONFIG_DIR}/{CONFIG_FILE}", "--port", str(PORT)]
