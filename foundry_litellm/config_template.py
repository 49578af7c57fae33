"""The commented configuration file that ``foundry-litellm init`` writes."""

TEMPLATE = """\
# foundry-litellm configuration. Validate it with: foundry-litellm validate
#
# Secrets never go in this file. The tool reads them from the environment:
#   OPENAI_API_KEY      key of the upstream Azure OpenAI account (stored only in Key Vault)
#   OPENAI_API_BASE     https://<account>.openai.azure.com
#   OPENAI_RESOURCE_ID  optional: ARM id of that account, for a private endpoint to it
#   AZURE_SUBSCRIPTION_ID  the subscription, unless azure.subscription_id is set below

# Names the state file (.foundry-litellm/<environment>.json); lowercase letters, digits and '-'.
environment = "dev"

[azure]
# subscription_id = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-foundry-litellm-dev"
location = "eastus2"
# Extra tags for every resource (the tool adds its ownership tags itself).
# tags = { owner = "platform-team", cost-center = "1234" }

[network]
# The VNet's address space. Default: 10.0.0.0/20 in the regions the reference marks "Class A",
# 192.168.0.0/20 elsewhere. It must be a /22 or larger.
# address_space = "10.0.0.0/20"
# Each subnet defaults to a /24 slice of the address space, in this order:
# agent_subnet = "10.0.0.0/24"              # Foundry Agent service (delegated to Microsoft.App)
# private_endpoint_subnet = "10.0.1.0/24"   # every private endpoint
# container_apps_subnet = "10.0.2.0/24"     # the LiteLLM Container Apps environment
# app_gateway_subnet = "10.0.3.0/24"        # Application Gateway v2
# Private DNS zones that already exist (a hub's), by key: used instead of creating new ones. Keys: key_vault,
# blob, cosmos, search, postgres, container_apps, ai_services, openai, cognitive_services; values: zone ids
# (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/privateDnsZones/<zone name>).
# existing_dns_zones = { key_vault = "/subscriptions/.../privateDnsZones/privatelink.vaultcore.azure.net" }
# link_existing_dns_zones = true            # link them to the VNet (false: it resolves through the hub's DNS)

[monitoring]
# log_retention_days = 30                   # 30 to 730

[foundry]
# projects = 3                              # 1 to 10 Foundry projects
# public_network_access = "Enabled"         # "Disabled": a private endpoint into the AI Services zones
# subnet_release_timeout_minutes = 90       # destroy waits this long for Azure to free the agent subnet

[key_vault]
# sku = "standard"
# soft_delete_retention_days = 90           # 7 to 90
# purge_protection = false                  # irreversible once on; destroy then cannot purge

[postgres]
# version = "16"                            # pinned; 13 to 18
# sku = "Standard_B1ms"
# tier = "Burstable"
# storage_gb = 32
# admin_login = "litellmadmin"
# entra_auth = false                        # Entra ID authentication besides the generated password
# threat_protection = false                 # Defender for PostgreSQL (billed)
# min_tls_version = "TLSv1.2"               # or "TLSv1.3"; TLS itself is always required

[search]
# sku = "basic"

[gateway]
# image = "ghcr.io/berriai/litellm:v1.108.7"  # a release tag; rolling tags (latest, main-stable) are refused
# digest = "sha256:..."                     # pin the image by digest as well
# min_replicas = 1
# max_replicas = 3
# redis = false                             # Azure Managed Redis for the replicas; on whenever max_replicas > 1
# cpu = 1.0                                 # memory is twice this, in GiB
# ui_username = "admin"                     # the password is generated into Key Vault
# log_prompts = false                       # prompts and responses stay out of logs and traces
# request_timeout_seconds = 600             # long LLM calls; the Application Gateway waits as long
# waf = false                               # WAF_v2 with the OWASP managed rules
# allowed_source_ips = ["203.0.113.0/24"]   # only these reach the public gateway
# http_only = false                         # true keeps plain HTTP as the reference did (not recommended)
# certificate_path = "gateway.pfx"          # your certificate; its password in FOUNDRY_LITELLM_CERTIFICATE_PASSWORD
# The models LiteLLM serves (deployments of the upstream Azure OpenAI account). Default:
# [[gateway.models]]
# name = "azure-gpt-4.1-mini"
# deployment = "gpt-4.1-mini"
# api_version = "2025-01-01-preview"
# [[gateway.models]]
# name = "azure-gpt-5-mini"
# deployment = "gpt-5-mini"
# api_version = "2025-04-01-preview"
# [[gateway.models]]
# name = "azure-o3-mini"
# deployment = "o3-mini"
# api_version = "2025-01-01-preview"
"""
