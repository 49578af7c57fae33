"""(filled in by the tier that needs it)"""

from __future__ import annotations

from ..provider import Provider

PROVIDERS: list[Provider] = []
