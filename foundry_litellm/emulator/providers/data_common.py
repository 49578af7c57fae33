"""Helpers shared by the data and secrets tier: global names, timestamps, region display names."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ..armpath import ArmRef
from ..provider import Json
from ..world import World

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def is_guid(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(GUID, value) is not None


def iso_at(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def iso_now(world: World) -> str:
    return iso_at(world.now())


def same_name_elsewhere(world: World, type_: str, ref: ArmRef) -> Json | None:
    """A live resource of ``type_`` named like ``ref`` under another id: names unique across Azure."""
    name = ref.name.lower()
    for record in world.of_type(type_):
        if record["body"]["name"].lower() == name and record["id"].lower() != ref.key:
            return record
    return None


def subscription_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[2].lower() if len(parts) > 2 and parts[1].lower() == "subscriptions" else ""


def group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[4].lower() if len(parts) > 4 and parts[3].lower() == "resourcegroups" else ""


# Words of programmatic region names, longest first, for display names such as 'South Central US'.
_REGION_WORDS = sorted(
    ["australia", "austria", "belgium", "brazil", "canada", "chile", "france", "germany", "india", "indonesia",
     "israel", "italy", "japan", "jio", "korea", "malaysia", "mexico", "new zealand", "norway", "poland", "qatar",
     "south africa", "spain", "sweden", "switzerland", "uae", "uk", "us", "europe", "asia", "east", "west", "north",
     "south", "central", "southeast", "euap"],
    key=len, reverse=True)
_UPPER = {"us", "uk", "uae", "euap"}


def display_region(name: str) -> str:
    """'southcentralus' -> 'South Central US', as Cosmos DB reports locations (CosmosDBDatabaseAccountCreateMin
    example); a name the word list cannot split is returned unchanged."""
    rest, words = name.lower(), []
    while rest:
        if rest[0].isdigit():
            words.append(rest[0])
            rest = rest[1:]
            continue
        word = next((w for w in _REGION_WORDS if rest.startswith(w.replace(" ", ""))), None)
        if word is None:
            return name
        words.append(word.upper() if word in _UPPER else word.title())
        rest = rest[len(word.replace(" ", "")):]
    return " ".join(words)
