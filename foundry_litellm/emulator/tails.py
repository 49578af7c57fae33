"""Long tails: durations Azure draws from a wide range rather than a fixed figure, drawn here per resource and
deterministic under the world's seed (the draw hashes the seed, the tail and the resource, so the order in which
parallel requests arrive changes nothing).

- ``link_release``: how long the Foundry agent subnet's service association link outlives its account's purge.
  Reports run from 15 minutes to 2 days (peers-and-pain-points §2.1/§2.4: foundry-samples PR #276 and its
  TESTING-GUIDE's 15-20 minutes, microsoft-foundry-baseline PR #54 ~1 h, foundry-samples#153 "for next 2
  days"). The default is the usual case, 15-25 minutes, so a test destroy stays quick; ``15m..2d`` is the
  whole range.
- ``capability_host`` and ``app_gateway``: an extra duration added to each create or update of those types (a
  capability host timing out after ~2.5 h, foundry-samples#810; App Gateway listener changes of 20+ minutes,
  Azure/azure-cli#2134). Default none: the types' own durations hold.
- ``role_propagation``: how long a new role assignment takes to be honoured by the services that check it. Usually
  "a few minutes" (Azure/azure-dev#2742; 60-120 s for an ACR pull role, Azure/azure-dev#7529), occasionally more than
  5 minutes (microsoft/CromwellOnAzure#98), "up to 10 minutes" (Learn "Troubleshoot Azure RBAC"). The default is a
  fixed 3 minutes; ``1m..10m`` is the documented range.
"""

from __future__ import annotations

import random
import re
from typing import Any

Range = tuple[float, float]  # Azure seconds, low and high

DEFAULT_TAILS: dict[str, Range] = {"link_release": (15 * 60.0, 25 * 60.0), "role_propagation": (180.0, 180.0)}
# The resource types each write tail applies to.
WRITE_TAIL_TYPES: dict[str, tuple[str, ...]] = {
    "capability_host": ("microsoft.cognitiveservices/accounts/capabilityhosts",
                        "microsoft.cognitiveservices/accounts/projects/capabilityhosts"),
    "app_gateway": ("microsoft.network/applicationgateways",),
}
NAMES = ("link_release", "role_propagation", *WRITE_TAIL_TYPES)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")


class TailSpecError(ValueError):
    pass


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``3h``, ``2d``: Azure seconds."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise TailSpecError(f"a duration is a number with an optional unit s, m, h or d, not {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_range(text: str) -> Range:
    """``LOW..HIGH`` (``15m..2d``) or one duration (a fixed figure)."""
    low, sep, high = text.partition("..")
    bounds = (parse_duration(low), parse_duration(high) if sep else parse_duration(low))
    if bounds[0] > bounds[1]:
        raise TailSpecError(f"the range {text!r} ends before it starts")
    return bounds


def tails_from(spec: Any) -> dict[str, Range]:
    """The tails an ``EmulatorConfig.tails`` value asks for, over the defaults: {name: "15m..2d" or [low, high]}."""
    tails = dict(DEFAULT_TAILS)
    for name, value in (spec or {}).items():
        if name not in NAMES:
            raise TailSpecError(f"unknown tail {name!r}: one of {', '.join(NAMES)}")
        if value is None:
            tails.pop(name, None)
            continue
        bounds = parse_range(value) if isinstance(value, str) else (float(value[0]), float(value[1]))
        if bounds[0] > bounds[1] or bounds[0] < 0:
            raise TailSpecError(f"the {name} range {value!r} is not LOW..HIGH with 0 <= LOW <= HIGH")
        tails[name] = bounds
    return tails


def draw(bounds: Range, seed: int, name: str, key: str) -> float:
    """A value in ``bounds`` that depends only on the seed, the tail and the key (a resource id and a count)."""
    low, high = bounds
    return low if high == low else random.Random(f"{seed}:{name}:{key.lower()}").uniform(low, high)


def write_tail_of(type_: str) -> str | None:
    """The write tail that applies to a resource type, if any."""
    lowered = type_.lower()
    return next((name for name, types in WRITE_TAIL_TYPES.items() if lowered in types), None)
