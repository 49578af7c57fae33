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

[monitoring]
# log_retention_days = 30                   # 30 to 730

[foundry]
# projects = 3                              # 1 to 10 Foundry projects
"""
