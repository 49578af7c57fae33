"""Strict request validation against Azure's published OpenAPI documents.

Azure silently ignores properties it does not know. The emulator, in strict mode, refuses them: a property
that Azure drops is a bug in a step that no other test would catch. The documents are read from a copy of
``Azure/azure-rest-api-specs`` (``$ref`` across files, ``allOf`` and discriminators are followed); a part of
a schema whose file is absent is not checked.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .armpath import ArmRef
from .errors import bad_request

Schema = dict[str, Any]
_MAX_ERRORS = 5
# Properties of the api-version the pinned SDK sends that the copied (older) spec does not define yet; each is
# checked against the SDK's own model. Anything under these paths is accepted unchecked.
NEWER_API_PROPERTIES: dict[str, tuple[str, ...]] = {
    # azure-mgmt-appcontainers 5.1.0 (2026-07-01): ManagedEnvironmentProperties.app_insights_configuration and
    # .open_telemetry_configuration; the stored spec is 2026-01-01.
    "microsoft.app/managedenvironments": ("properties.appInsightsConfiguration",
                                          "properties.openTelemetryConfiguration"),
}
_MULTI_SEGMENT = {"scope"}


@dataclass
class _Route:
    regex: re.Pattern[str]
    literal_count: int
    file: Path
    operation: Schema
    version: str


@dataclass
class _Flat:
    """An object schema with its ``allOf`` chain folded in."""

    properties: dict[str, tuple[Schema, Path]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    additional: Any = None  # None: not allowed; True: anything; (schema, file): checked
    discriminator: str | None = None
    bases: list[tuple[Path, str]] = field(default_factory=list)
    types: set[str] = field(default_factory=set)


_SHARED: dict[Path, Validator] = {}
_SHARED_LOCK = threading.Lock()


def shared_validator(specs_dir: Path) -> Validator:
    """One validator per specs directory and process: reading the documents costs a good part of an emulator's
    start (about 0.15 s), they never change while the process runs, and checking only reads them."""
    key = specs_dir.resolve()
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Validator(key)
        return _SHARED[key]


class Validator:
    def __init__(self, specs_dir: Path) -> None:
        self.root = specs_dir
        self._docs: dict[Path, Schema] = {}
        self._routes: dict[str, list[_Route]] = {}
        self._subtypes: dict[tuple[Path, str], list[tuple[Path, str, str]]] | None = None
        for file in sorted(specs_dir.rglob("*.json")):
            doc = self._doc(file)
            if doc is None:
                continue
            version = str(doc.get("info", {}).get("version", ""))
            for section in ("paths", "x-ms-paths"):
                for template, ops in (doc.get(section) or {}).items():
                    self._add_routes(file, template, ops, version)

    # --- documents ---------------------------------------------------------------------------------------
    def _doc(self, file: Path) -> Schema | None:
        file = file.resolve()
        if file not in self._docs:
            if not file.exists():
                alt = self._by_tail(file)
                if alt is None:
                    return None
                file = alt
            try:
                self._docs[file] = json.loads(file.read_text())
            except (OSError, ValueError):
                return None
        return self._docs[file]

    def _by_tail(self, file: Path) -> Path | None:
        # Some documents reach common-types one directory short; resolve such a path by its tail.
        text = file.as_posix()
        if "common-types/" in text:
            candidate = self.root / text[text.index("common-types/"):]
            return candidate.resolve() if candidate.exists() else None
        return None

    def _add_routes(self, file: Path, template: str, ops: Schema, version: str) -> None:
        path = template.split("?", 1)[0]
        parts = [p for p in path.split("/") if p]
        if not parts or any(p.strip("{}") in ("resourceId", "parentResourcePath", "roleAssignmentId")
                            for p in parts if p.startswith("{")):
            return
        regex = "".join(
            "/" + ((".+" if p.strip("{}") in _MULTI_SEGMENT else "[^/]+") if p.startswith("{") else re.escape(p))
            for p in parts
        )
        literal = sum(1 for p in parts if not p.startswith("{"))
        for method, op in ops.items():
            if isinstance(op, dict) and method in ("put", "patch", "post"):
                route = _Route(re.compile(regex + "$", re.IGNORECASE), literal, file.resolve(), op, version)
                self._routes.setdefault(method, []).append(route)

    def _resolve(self, schema: Schema, file: Path) -> tuple[Schema, Path, str | None] | None:
        """Follow ``$ref``; returns the schema, its file, and the definition name when it is one."""
        name = None
        seen = 0
        while "$ref" in schema:
            seen += 1
            if seen > 20:
                return None
            target, _, pointer = schema["$ref"].partition("#")
            if target:
                file = (file.parent / target).resolve()
            doc = self._doc(file)
            if doc is None:
                return None
            if file not in self._docs:  # resolved through the tail rule
                file = next(f for f, d in self._docs.items() if d is doc)
            node: Any = doc
            for part in [p for p in pointer.split("/") if p]:
                node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                return None
            parts = [p for p in pointer.split("/") if p]
            name = parts[-1] if len(parts) == 2 and parts[0] == "definitions" else None
            schema = node
        return schema, file, name

    # --- entry point -------------------------------------------------------------------------------------------
    def validate(self, method: str, ref: ArmRef, api_version: str, body: Any) -> None:
        route = self._route(method, ref.id)
        if route is None:
            return
        schema = self._body_schema(route)
        if schema is None:
            return
        errors: list[str] = []
        self._check(schema, route.file, body, "", errors=errors, depth=0)
        newer = NEWER_API_PROPERTIES.get(ref.type.lower(), ())
        errors = [e for e in errors if not any(f"property '{p}" in e for p in newer)]
        if errors:
            detail = "; ".join(errors[:_MAX_ERRORS])
            raise bad_request(
                "InvalidRequestContent",
                f"The request content was invalid for {ref.type} (checked against the published spec, "
                f"api-version {route.version}; the request used {api_version}): {detail}",
                target=errors[0].split("'")[1] if "'" in errors[0] else None,
            )

    def _route(self, method: str, path: str) -> _Route | None:
        matches = [r for r in self._routes.get(method, []) if r.regex.match(path)]
        return max(matches, key=lambda r: r.literal_count) if matches else None

    def _body_schema(self, route: _Route) -> tuple[Schema, Path] | None:
        for param in route.operation.get("parameters", []):
            resolved = self._resolve(param, route.file) if "$ref" in param else (param, route.file, None)
            if resolved and resolved[0].get("in") == "body" and "schema" in resolved[0]:
                return resolved[0]["schema"], resolved[1]
        return None

    # --- checking -----------------------------------------------------------------------------------------------
    def _check(self, schema_at: tuple[Schema, Path] | Schema, file: Path, value: Any, path: str, *,
               errors: list[str], depth: int) -> None:
        schema = schema_at[0] if isinstance(schema_at, tuple) else schema_at
        file = schema_at[1] if isinstance(schema_at, tuple) else file
        if depth > 40 or len(errors) >= _MAX_ERRORS:
            return
        resolved = self._resolve(schema, file)
        if resolved is None:
            return
        schema, file, name = resolved
        flat = self._flatten(schema, file, name)
        if flat is None:
            return
        where = path or "body"
        if flat.discriminator and isinstance(value, dict) and isinstance(value.get(flat.discriminator), str):
            sub = self._subtype(flat, value[flat.discriminator])
            if sub is not None:
                flat = sub
        kind = _json_type(value)
        if flat.types and kind not in flat.types and not (kind == "integer" and "number" in flat.types):
            errors.append(f"property '{where}' must be of type {'/'.join(sorted(flat.types))}, not {kind}")
            return
        enum = schema.get("enum")
        if enum is not None and not schema.get("x-ms-enum", {}).get("modelAsString", False) and \
                isinstance(value, str) and value.lower() not in {str(e).lower() for e in enum}:
            errors.append(f"property '{where}' has value '{value}' outside the allowed values {enum}")
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self._check(schema["items"], file, item, f"{where}[{i}]", errors=errors, depth=depth + 1)
        if isinstance(value, dict) and (flat.properties or flat.additional is not True):
            self._check_object(flat, value, path, errors, depth)

    def _check_object(self, flat: _Flat, value: dict[str, Any], path: str, errors: list[str], depth: int) -> None:
        if not flat.properties and flat.additional is None and not flat.discriminator:
            return  # a free-form object
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if key in flat.properties:
                sub, sub_file = flat.properties[key]
                if not sub.get("readOnly"):
                    self._check(sub, sub_file, item, child, errors=errors, depth=depth + 1)
            elif isinstance(flat.additional, tuple):
                self._check(flat.additional[0], flat.additional[1], item, child, errors=errors, depth=depth + 1)
            elif flat.additional is None:
                errors.append(f"property '{child}' is not defined in the schema")
        for key in sorted(flat.required - set(value)):
            sub = flat.properties.get(key, ({}, None))[0]
            if not sub.get("readOnly"):
                errors.append(f"required property '{f'{path}.{key}' if path else key}' is missing")

    def _flatten(self, schema: Schema, file: Path, name: str | None, depth: int = 0) -> _Flat | None:
        if depth > 20:
            return None
        flat = _Flat()
        if name is not None:
            flat.bases.append((file, name))
        if "type" in schema:
            t = schema["type"]
            flat.types = set(t) if isinstance(t, list) else {t}
        for part in schema.get("allOf", []):
            resolved = self._resolve(part, file)
            if resolved is None:
                flat.additional = True  # part of the schema is in a file we do not have
                continue
            sub = self._flatten(*resolved, depth + 1)
            if sub is None:
                continue
            flat.properties.update(sub.properties)
            flat.required |= sub.required
            flat.discriminator = flat.discriminator or sub.discriminator
            flat.bases += sub.bases
            flat.types |= sub.types
            if sub.additional is not None:
                flat.additional = sub.additional
        for key, sub_schema in (schema.get("properties") or {}).items():
            flat.properties[key] = (sub_schema, file)
        flat.required |= set(schema.get("required") or [])
        if schema.get("discriminator"):
            flat.discriminator = schema["discriminator"]
        extra = schema.get("additionalProperties")
        if extra is True or (isinstance(extra, dict) and not extra):
            flat.additional = True
        elif isinstance(extra, dict):
            flat.additional = (extra, file)
        if flat.types == {"object"} and not flat.properties and flat.additional is None \
                and "allOf" not in schema and not flat.discriminator:
            flat.additional = True
        return flat

    def _subtype(self, base: _Flat, value: str) -> _Flat | None:
        index = self._subtype_index()
        for base_key in base.bases:
            for file, name, disc in index.get(base_key, []):
                if disc.lower() == value.lower():
                    resolved = self._resolve({"$ref": f"{file.as_posix()}#/definitions/{name}"}, file)
                    return self._flatten(*resolved) if resolved else None
        return None

    def _subtype_index(self) -> dict[tuple[Path, str], list[tuple[Path, str, str]]]:
        if self._subtypes is None:
            self._subtypes = {}
            for file, doc in list(self._docs.items()):
                for name, definition in (doc.get("definitions") or {}).items():
                    if not isinstance(definition, dict):
                        continue
                    disc = definition.get("x-ms-discriminator-value", name)
                    for part in definition.get("allOf", []):
                        resolved = self._resolve(part, file)
                        if resolved and resolved[2]:
                            self._subtypes.setdefault((resolved[1], resolved[2]), []).append((file, name, disc))
        return self._subtypes


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
