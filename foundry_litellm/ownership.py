"""The tags that mark a resource as this tool's, for one environment: what destroy deletes and nothing else."""

OWNER_TAG = "managed-by"
OWNER_VALUE = "foundry-litellm"
ENV_TAG = "foundry-litellm-environment"
