"""foundry-litellm: provision an Azure AI Foundry environment with a LiteLLM model gateway."""

__version__ = "0.1.0"
__all__ = ["__version__"]
