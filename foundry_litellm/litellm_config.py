"""The LiteLLM proxy's config.yaml, rendered from the configured models, and the environment the container
app gives it. The file holds no secret: keys are ``os.environ/...`` references the app resolves from Key
Vault at start.
"""

from __future__ import annotations

from typing import Any

import yaml

from .config import GatewaySection

# Container app secret names (Key Vault references) and the environment variables they feed.
SECRET_ENV = {
    "LITELLM_MASTER_KEY": "litellm-master-key",
    "LITELLM_SALT_KEY": "litellm-salt-key",
    "UI_PASSWORD": "litellm-ui-password",
    "DATABASE_URL": "database-url",
    "AZURE_API_KEY": "openai-api-key",
}
CONFIG_SECRET = "litellm-config"  # noqa: S105 - a secret's name: the rendered file, delivered as a plain app secret on a Secret volume
CONFIG_DIR = "/app/config"
CONFIG_FILE = "config.yaml"
PORT = 4000


def render(gateway: GatewaySection, *, with_database: bool = True) -> str:
    """config.yaml for the configured models (LiteLLM notes §3: production settings)."""
    models = [{
        "model_name": m.name,
        "litellm_params": {
            "model": f"azure/{m.deployment}",
            "api_base": "os.environ/AZURE_API_BASE",
            "api_key": "os.environ/AZURE_API_KEY",
            "api_version": m.api_version,
        },
        # A deployment not named after its model: LiteLLM can't identify it (an error logged on every call, no
        # model limits, cost only from what Azure reports) unless told the base model.
        **({"model_info": {"base_model": f"azure/{m.model}"}} if m.model else {}),
    } for m in gateway.models]
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
    document = {"model_list": models, "general_settings": general, "litellm_settings": settings}
    header = "# Rendered by foundry-litellm. No secret values: keys are os.environ/... references.\n"
    body: str = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
    return header + body


def environment(gateway: GatewaySection, *, api_base: str, public_url: str) -> list[dict[str, str]]:
    """The app's environment: plain values, and secret references by name."""
    plain = {
        "LITELLM_MODE": "PRODUCTION",  # no .env loading
        "LITELLM_LOG": "INFO",
        "PROXY_BASE_URL": public_url,  # the UI's login redirects need the public https URL (litellm#11951)
        "UI_USERNAME": gateway.ui_username,
        "STORE_MODEL_IN_DB": "False",  # config.yaml is the source of truth
        "AZURE_API_BASE": api_base,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no egress needed for the cost map
        "OTEL_EXPORTER": "otlp_grpc",
        "OTEL_SERVICE_NAME": "litellm",
    }
    env = [{"name": k, "value": v} for k, v in plain.items()]
    env += [{"name": k, "secretRef": v} for k, v in SECRET_ENV.items()]
    return env


def args() -> list[str]:
    """One worker per replica (LiteLLM's production guidance): no --num_workers; replicas scale out."""
    return ["--config", f"{CONFIG_DIR}/{CONFIG_FILE}", "--port", str(PORT)]
