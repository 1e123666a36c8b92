"""Structured-output checks a row can ask for besides IFEval's instructions.

Each entry of a row's ``constraints`` list is an object with a ``type``:

* ``{"type": "json"}``: the response is valid JSON (a Markdown code fence around it is allowed).
* ``{"type": "json_schema", "schema": {...}}``: valid JSON that the JSON Schema accepts.
* ``{"type": "tags_in_order", "tags": ["think", "answer"], "allow_text_outside": true}``: each
  ``<tag>...</tag>`` block appears exactly once, the blocks in the given order.
* ``{"type": "regex", "pattern": "...", "match": "search" | "full", "flags": ["IGNORECASE"],
  "negate": false}``: the pattern is found (or matches the whole response), in linear time.
* ``{"type": "length", "unit": "words" | "characters" | "sentences", "min": 10, "max": 200}``:
  inclusive bounds; at least one of ``min`` and ``max``.

Every check reads the final answer, what follows the model's reasoning (``contract.final_answer``), except
``tags_in_order``, which checks the reasoning's own tags too and so reads the whole response.

An optional ``"id"`` names the metric (default: the type). A bad entry raises
:class:`BadKwargs`; the grader scores it 0 and says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from .arguments import BadKwargs, Check, CheckError
from .detectable_format import is_json, strip_code_fence
from .safe_regex import UnsupportedPattern, compile_safe
from .sentences import count_sentences
from .words import count_words

# Longest response a regex constraint reads; the automaton is linear, this bounds its time.
MAX_REGEX_INPUT = 200_000
_TAG_NAME = re.compile(r"[A-Za-z_][\w.:-]*")
_REGEX_FLAGS = {
    "IGNORECASE": re.IGNORECASE,
    "MULTILINE": re.MULTILINE,
    "DOTALL": re.DOTALL,
    "ASCII": re.ASCII,
    "VERBOSE": re.VERBOSE,
}
_LENGTH_UNITS: dict[str, Callable[[str], int]] = {
    "words": count_words,
    "characters": lambda text: len(text.strip()),
    "sentences": count_sentences,
}


def _allowed_keys(spec: Mapping[str, Any], *keys: str) -> None:
    unexpected = sorted(set(spec) - {"type", "id", *keys})
    if unexpected:
        raise BadKwargs(f"unexpected keys {unexpected} for a {spec['type']!r} constraint")


def _flag(spec: Mapping[str, Any], name: str, default: bool) -> bool:
    value = spec.get(name, default)
    if not isinstance(value, bool):
        raise BadKwargs(f"{name!r} must be true or false, got {value!r}")
    return value


def json_valid(spec: Mapping[str, Any]) -> Check:
    _allowed_keys(spec)
    return is_json


@lru_cache(maxsize=128)
def _schema_validator(schema_text: str) -> Any:  # a jsonschema validator (no stubs installed)
    from jsonschema import exceptions, validators
    from referencing import Registry

    schema = json.loads(schema_text)
    validator_class = validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except exceptions.SchemaError as exc:
        raise BadKwargs(f"invalid JSON Schema: {exc.message}") from None
    # An empty registry: jsonschema would otherwise fetch a remote $ref over the network.
    return validator_class(schema, registry=Registry())


def json_schema(spec: Mapping[str, Any]) -> Check:
    _allowed_keys(spec, "schema")
    schema = spec.get("schema")
    if not isinstance(schema, (Mapping, bool)):
        raise BadKwargs("'schema' must be a JSON Schema object")
    validator = _schema_validator(json.dumps(schema, sort_keys=True))

    def check(response: str) -> bool:
        try:
            document = json.loads(strip_code_fence(response))
        except (ValueError, RecursionError):
            return False
        try:
            return bool(validator.is_valid(document))
        except RecursionError:
            return False
        except Exception as exc:  # e.g. a $ref to a schema that is not in the row
            raise CheckError(f"the schema could not be applied: {type(exc).__name__}: {exc}") from None

    return check


def tags_in_order(spec: Mapping[str, Any]) -> Check:
    _allowed_keys(spec, "tags", "allow_text_outside")
    tags = spec.get("tags")
    if (
        not isinstance(tags, list)
        or not tags
        or not all(isinstance(tag, str) and _TAG_NAME.fullmatch(tag) for tag in tags)
    ):
        raise BadKwargs(f"'tags' must be a non-empty list of tag names, got {tags!r}")
    if len(set(tags)) != len(tags):
        raise BadKwargs(f"'tags' must not repeat a tag, got {tags!r}")
    allow_outside = _flag(spec, "allow_text_outside", True)

    def check(response: str) -> bool:
        position = 0
        outside = []
        for tag in tags:
            opening, closing = f"<{tag}>", f"</{tag}>"
            if response.count(opening) != 1 or response.count(closing) != 1:
                return False
            start = response.find(opening)
            end = response.find(closing)
            if start < position or end < start + len(opening):
                return False
            outside.append(response[position:start])
            position = end + len(closing)
        outside.append(response[position:])
        return allow_outside or not any(part.strip() for part in outside)

    return check


def regex(spec: Mapping[str, Any]) -> Check:
    _allowed_keys(spec, "pattern", "match", "flags", "negate")
    pattern = spec.get("pattern")
    if not isinstance(pattern, str) or not pattern:
        raise BadKwargs("'pattern' must be a non-empty string")
    mode = spec.get("match", "search")
    if not isinstance(mode, str) or mode not in ("search", "full"):
        raise BadKwargs(f"'match' must be 'search' or 'full', got {mode!r}")
    names = spec.get("flags", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(name, str) and name in _REGEX_FLAGS for name in names):
        raise BadKwargs(f"'flags' must be a list drawn from {sorted(_REGEX_FLAGS)}, got {names!r}")
    flags = 0
    for name in names:
        flags |= _REGEX_FLAGS[name]
    negate = _flag(spec, "negate", False)
    try:
        compiled = compile_safe(pattern, flags)
    except UnsupportedPattern as exc:
        raise BadKwargs(f"pattern {pattern!r} refused: {exc}") from None
    run = compiled.search if mode == "search" else compiled.fullmatch

    def check(response: str) -> bool:
        if len(response) > MAX_REGEX_INPUT:
            raise CheckError(f"response longer than {MAX_REGEX_INPUT} characters for a regex check")
        return run(response) != negate

    return check


def _bound(spec: Mapping[str, Any], name: str) -> int | None:
    value = spec.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadKwargs(f"{name!r} must be a non-negative whole number, got {value!r}")
    return value


def length(spec: Mapping[str, Any]) -> Check:
    _allowed_keys(spec, "unit", "min", "max")
    unit = spec.get("unit", "words")
    if not isinstance(unit, str) or unit not in _LENGTH_UNITS:
        raise BadKwargs(f"'unit' must be one of {sorted(_LENGTH_UNITS)}, got {unit!r}")
    low, high = _bound(spec, "min"), _bound(spec, "max")
    if low is None and high is None:
        raise BadKwargs("a length constraint needs 'min', 'max' or both")
    if low is not None and high is not None and low > high:
        raise BadKwargs(f"'min' ({low}) is greater than 'max' ({high})")
    measure = _LENGTH_UNITS[unit]

    def check(response: str) -> bool:
        size = measure(response)
        return (low is None or size >= low) and (high is None or size <= high)

    return check


# Checks of the whole response, reasoning tags included; every other check reads the final answer.
WHOLE_RESPONSE_CHECKS = frozenset({"tags_in_order"})
STRUCTURED_CHECKS: dict[str, Callable[[Mapping[str, Any]], Check]] = {
    "json": json_valid,
    "json_schema": json_schema,
    "tags_in_order": tags_in_order,
    "regex": regex,
    "length": length,
}
