"""Microsoft.CognitiveServices: the Foundry tier (accounts and their soft delete, projects, connections,
capability hosts), split over the ``foundry_*`` modules."""

from __future__ import annotations

from ..provider import Provider
from . import foundry_account, foundry_caphosts, foundry_deleted, foundry_projects

PROVIDERS: list[Provider] = [*foundry_account.PROVIDERS, *foundry_deleted.PROVIDERS, *foundry_projects.PROVIDERS,
                             *foundry_caphosts.PROVIDERS]
