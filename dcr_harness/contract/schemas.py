"""The contract's JSON Schemas (schemas/*.schema.json): one registry, one validator per schema.

Every schema is a JSON Schema 2020-12 document with ``$id`` ``urn:dcr-harness:schema:<name>``;
schemas refer to each other by that ``$id`` (register-error and token-error build on
oauth-error). Validators assert formats, and the schemas back every format with a
pattern, because some formats ("uri") are only asserted when optional packages are
installed.

A name may carry a JSON Pointer fragment to validate against a sub-schema, for example
``validate("api-error#/$defs/token-problem", body)``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..paths import SCHEMA_DIR

ID_PREFIX = "urn:dcr-harness:schema:"
SUFFIX = ".schema.json"
REQUIREMENT_ID = re.compile(r"\b(?:REG|TOK|API|THR|DEV|CLI|FLOW)-[A-Z]*-?\d+\b")


def _schema_files(schema_dir: Path) -> dict[str, Path]:
    return {p.name[: -len(SUFFIX)]: p for p in sorted(schema_dir.glob("*" + SUFFIX))}


@cache
def _load() -> tuple[dict[str, dict[str, Any]], Registry]:
    schemas: dict[str, dict[str, Any]] = {}
    for name, path in _schema_files(SCHEMA_DIR).items():
        contents = json.loads(path.read_text(encoding="utf-8"))
        expected = ID_PREFIX + name
        if contents.get("$id") != expected:
            raise ValueError(f"{path}: $id must be {expected!r}, found {contents.get('$id')!r}")
        schemas[name] = contents
    resources = [
        (ID_PREFIX + n, Resource.from_contents(s, default_specification=DRAFT202012)) for n, s in schemas.items()
    ]
    return schemas, Registry().with_resources(resources).crawl()


def clear_cache() -> None:
    """Forget loaded schemas and validators (after the files changed, or SCHEMA_DIR did)."""
    _load.cache_clear()
    validator.cache_clear()


def names() -> list[str]:
    """The schema names, sorted: the file names without ``.schema.json``."""
    return sorted(_load()[0])


def registry() -> Registry:
    """The referencing registry holding every schema under its ``$id``."""
    return _load()[1]


def _split(name: str) -> tuple[str, str]:
    base, _, fragment = name.partition("#")
    schemas = _load()[0]
    if base not in schemas:
        raise KeyError(f"unknown schema {base!r}; known schemas: {', '.join(sorted(schemas))}")
    return base, fragment


def schema(name: str) -> dict[str, Any]:
    """The parsed schema document of ``name`` (the whole file; a fragment is ignored)."""
    return _load()[0][_split(name)[0]]


@cache
def validator(name: str) -> Draft202012Validator:
    """A cached validator for ``name`` (or ``name#/json/pointer``) with formats asserted."""
    base, fragment = _split(name)
    root = _load()[0][base]
    target = {"$ref": ID_PREFIX + name} if fragment else root
    if fragment:
        # Fail now, with the name, rather than at the first validation.
        registry().resolver().lookup(ID_PREFIX + name)
    return Draft202012Validator(
        target,
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _message(error: Any) -> str:
    return f"{error.json_path}: {error.message}"


def validate(name: str, instance: Any) -> list[str]:
    """Human-readable errors, ``"<json path>: <message>"``, sorted; empty when valid."""
    return sorted(_message(e) for e in validator(name).iter_errors(instance))


def is_valid(name: str, instance: Any) -> bool:
    return validator(name).is_valid(instance)


def _descriptions(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "title") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_descriptions(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_descriptions(item))
    return found


def requirements_of(name: str) -> list[str]:
    """The requirement IDs cited in the titles and descriptions of schema ``name``, unique, in natural order."""
    text = "\n".join(_descriptions(schema(name)))
    return sorted(set(REQUIREMENT_ID.findall(text)), key=_id_order)


def _id_order(req_id: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", req_id)]
