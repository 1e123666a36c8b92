"""A dataset row's format constraints: where they are written and how they become checks.

A row (or the configured default) is an object with any of:

* ``instruction_id_list`` + ``kwargs``: IFEval's form, two aligned lists;
* ``constraints``: a list of structured checks (see :mod:`.structured`), where an entry with
  an ``instruction_id`` (and optional ``kwargs``) is an IFEval instruction too.

Any of the three may also be given as a JSON string (some exports stringify nested fields).
A constraint that cannot be built (unknown id, bad kwargs) is kept with its error, so it
scores 0 and its reason is reported instead of failing the row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .arguments import BadKwargs, Check, RowContext
from .registry import INSTRUCTIONS
from .structured import STRUCTURED_CHECKS, WHOLE_RESPONSE_CHECKS

SPEC_FIELDS = ("instruction_id_list", "kwargs", "constraints")


@dataclass(frozen=True)
class Constraint:
    """One thing to check; ``check`` is None when ``error`` says why it cannot be checked."""

    name: str
    check: Check | None
    error: str | None = None
    ifeval: bool = False  # IFEval instructions get its empty-response rule and loose mode
    # Checks read the final answer (after the reasoning); a structure check of the tags reads the whole response.
    whole_response: bool = False


def decoded_field(value: Any) -> Any:
    """A row field that may arrive JSON-encoded as a string (CSV-born datasets), decoded."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def spec_from_fields(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The constraint fields present in ``fields``, or None if it has none."""
    spec = {name: decoded_field(fields[name]) for name in SPEC_FIELDS if fields.get(name) is not None}
    return spec if ("instruction_id_list" in spec or "constraints" in spec) else None


def _failed(name: str, error: str, *, ifeval: bool = False) -> Constraint:
    return Constraint(name=name, check=None, error=error, ifeval=ifeval)


def ifeval_constraint(instruction_id: Any, kwargs: Any, context: RowContext) -> Constraint:
    if not isinstance(instruction_id, str):
        return _failed(str(instruction_id), f"instruction id must be a string, got {instruction_id!r}", ifeval=True)
    builder = INSTRUCTIONS.get(instruction_id)
    if builder is None:
        return _failed(instruction_id, f"unknown instruction id {instruction_id!r}", ifeval=True)
    try:
        return Constraint(name=instruction_id, check=builder(kwargs, context), ifeval=True)
    except BadKwargs as exc:
        return _failed(instruction_id, f"bad kwargs: {exc}", ifeval=True)
    except Exception as exc:  # kwargs of a shape no validator foresaw
        return _failed(instruction_id, f"bad kwargs: {type(exc).__name__}: {exc}", ifeval=True)


def structured_constraint(entry: Any, context: RowContext) -> Constraint:
    if not isinstance(entry, Mapping):
        return _failed("constraint", f"a constraint must be an object, got {entry!r}")
    if "instruction_id" in entry:
        return ifeval_constraint(entry["instruction_id"], entry.get("kwargs"), context)
    kind = entry.get("type")
    ident = entry.get("id")
    name = ident if isinstance(ident, str) and ident else str(kind)
    builder = STRUCTURED_CHECKS.get(kind) if isinstance(kind, str) else None
    if builder is None:
        return _failed(name, f"unknown constraint type {kind!r}; known: {sorted(STRUCTURED_CHECKS)}")
    try:
        return Constraint(name=name, check=builder(entry), whole_response=kind in WHOLE_RESPONSE_CHECKS)
    except BadKwargs as exc:
        return _failed(name, f"bad constraint: {exc}")
    except Exception as exc:  # a field of a shape no validator foresaw
        return _failed(name, f"bad constraint: {type(exc).__name__}: {exc}")


def build_constraints(spec: Mapping[str, Any], context: RowContext) -> list[Constraint]:
    """Every constraint of ``spec``, IFEval instructions first, in the order written."""
    constraints: list[Constraint] = []
    ids = spec.get("instruction_id_list")
    if ids is not None:
        kwargs_list = spec.get("kwargs") or []
        if not isinstance(ids, list):
            constraints.append(_failed("instruction_id_list", f"must be a list, got {ids!r}", ifeval=True))
        elif not isinstance(kwargs_list, list):
            constraints += [
                _failed(str(i), f"'kwargs' must be a list aligned with the ids, got {kwargs_list!r}", ifeval=True)
                for i in ids
            ]
        else:
            for index, instruction_id in enumerate(ids):
                kwargs = kwargs_list[index] if index < len(kwargs_list) else {}
                constraints.append(ifeval_constraint(instruction_id, kwargs, context))
    entries = spec.get("constraints")
    if entries is not None:
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            constraints.append(_failed("constraints", f"must be a list of objects, got {entries!r}"))
        else:
            constraints += [structured_constraint(entry, context) for entry in entries]
    return constraints
