"""What each grader needs from a training row: the math reference, the format constraints, the
composite's choice of graders. Each check returns ``(level, field, message)`` problems, level being
``"error"`` or ``"warning"``; the dataset validator adds the file and line.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping, Sequence

from graders.format_rules.constraints import decoded_field

from .ifeval_registry import IFEVAL_KWARGS

GRADERS = ("math", "format", "judge", "composite")
COMPONENTS = ("math", "format", "judge")  # what a composite row may name
COMPOSITE_GRADERS_FIELD = "graders"  # the row field naming the graders a composite row uses (graders.composite)
SPEC_FIELDS = ("instruction_id_list", "kwargs", "constraints")
# The format grader's structured checks (graders/format_rules/structured.py).
STRUCTURED_TYPES = ("json", "json_schema", "tags_in_order", "regex", "length")

Problem = tuple[str, str, str]


def graders_for_row(row: Mapping[str, Any], grader: str,
                    composite_defaults: Sequence[str] | None) -> tuple[tuple[str, ...], list[Problem]]:
    """The graders whose needs apply to this row, and problems with its ``graders`` field.

    Like ``graders.composite``: the field is read from the row, else from an object reference_answer,
    and may be a list of names or one comma-separated string; names are case-insensitive.
    """
    if grader != "composite":
        return (grader,), []
    reference = row.get("reference_answer")
    named = row.get(COMPOSITE_GRADERS_FIELD)
    if named is None and isinstance(reference, dict):
        named = reference.get(COMPOSITE_GRADERS_FIELD)
    if named is None:
        if composite_defaults is not None:
            return tuple(g for g in composite_defaults if g in COMPONENTS), []
        # The composite's default set is unknown here: check what the row evidently aims at.
        if has_constraint_fields(row):
            return ("format",), []
        return (("math",) if _is_scalar_answer(reference) else ()), []
    if isinstance(named, str):
        named = named.replace(";", ",").split(",")
    if not isinstance(named, list) or not all(isinstance(g, str) for g in named):
        return (), [("error", COMPOSITE_GRADERS_FIELD, f"must be a list of grader names, got {describe(named)}")]
    names = [g.strip().lower() for g in named if g.strip()]
    problems: list[Problem] = []
    unknown = [g for g in names if g not in COMPONENTS]
    if unknown or not names:
        problems.append(("error", COMPOSITE_GRADERS_FIELD, f"unknown grader(s) {', '.join(map(repr, unknown))}; "
                         "use 'math', 'format' or 'judge'" if unknown else "names no grader"))
    return tuple(dict.fromkeys(g for g in names if g in COMPONENTS)), problems


def math_reference_problems(row: Mapping[str, Any]) -> list[Problem]:
    if "reference_answer" not in row:
        return [("error", "reference_answer", "missing: the math grader compares the answer with it")]
    reference = row["reference_answer"]
    if isinstance(reference, bool) or not isinstance(reference, (str, int, float)):
        return [("error", "reference_answer", f"must be a number or a string for the math grader, "
                 f"got {describe(reference)}")]
    if isinstance(reference, str) and not reference.strip():
        return [("error", "reference_answer", "empty: the math grader compares the answer with it")]
    if isinstance(reference, float) and not math.isfinite(reference):
        return [("error", "reference_answer", f"{reference!r} is not a finite number")]
    return []


def format_constraint_problems(row: Mapping[str, Any], has_default_constraints: bool) -> list[Problem]:
    """IFEval ``instruction_id_list`` + ``kwargs`` or structured ``constraints``, in the row (which
    reaches the grader as metadata) or in an object ``reference_answer``. As in the format grader,
    each field may also be written as a JSON string."""
    reference = row.get("reference_answer")
    sources: list[tuple[str, Mapping[str, Any]]] = [("", row)]
    if isinstance(reference, dict):
        sources.append(("reference_answer.", reference))
    problems: list[Problem] = []
    found = False
    for prefix, raw in sources:
        source = {name: decoded_field(raw[name]) for name in SPEC_FIELDS if raw.get(name) is not None}
        if "instruction_id_list" in source or "kwargs" in source:
            found = True
            problems += _ifeval_problems(prefix, source)
        if "constraints" in source:
            found = True
            problems += _structured_problems(prefix, source["constraints"])
    if not found and not has_default_constraints:
        problems.append(("error", "instruction_id_list", "missing: the format grader needs 'instruction_id_list' "
                         "and 'kwargs' (or 'constraints') in the row or in an object reference_answer, or "
                         "default constraints in the configuration"))
    return problems



def _structured_problems(prefix: str, constraints: Any) -> list[Problem]:
    if isinstance(constraints, dict):
        constraints = [constraints]
    if not isinstance(constraints, list) or not constraints:
        return [("error", f"{prefix}constraints", f"must be a non-empty list of objects, got {describe(constraints)}")]
    problems: list[Problem] = []
    for index, entry in enumerate(constraints):
        where = f"{prefix}constraints[{index}]"
        if not isinstance(entry, dict):
            problems.append(("error", where, f"must be an object, got {describe(entry)}"))
        elif "instruction_id" in entry:
            problems += _ifeval_problems(where + ".", {"instruction_id_list": [entry["instruction_id"]],
                                                       "kwargs": [entry.get("kwargs")]})
        elif entry.get("type") not in STRUCTURED_TYPES:
            problems.append(("warning", f"{where}.type", f"{entry.get('type')!r} is not a check the format grader "
                             f"lists ({', '.join(STRUCTURED_TYPES)})"))
    return problems


def _ifeval_problems(prefix: str, source: Mapping[str, Any]) -> list[Problem]:
    ids = source.get("instruction_id_list")
    kwargs = source.get("kwargs", None)
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return [("error", f"{prefix}instruction_id_list", f"must be a non-empty list of instruction ids, "
                 f"got {describe(ids)}")]
    if kwargs is None:
        kwargs = [{}] * len(ids)
    elif not isinstance(kwargs, list):
        return [("error", f"{prefix}kwargs", f"must be a list of objects aligned with instruction_id_list, "
                 f"got {describe(kwargs)}")]
    elif len(kwargs) != len(ids):
        return [("error", f"{prefix}kwargs", f"has {len(kwargs)} entries for {len(ids)} instruction ids; "
                 "they must be aligned")]
    problems: list[Problem] = []
    for index, (instruction, arguments) in enumerate(zip(ids, kwargs)):
        where = f"{prefix}kwargs[{index}]"
        arguments = {} if arguments is None else arguments
        if not isinstance(arguments, dict):
            problems.append(("error", where, f"must be an object, got {describe(arguments)}"))
            continue
        expected = IFEVAL_KWARGS.get(instruction)
        if expected is None:
            problems.append(("warning", f"{prefix}instruction_id_list[{index}]",
                             f"{instruction!r} is not an IFEval instruction id"))
            continue
        given = {k for k, v in arguments.items() if v is not None}  # IFEval data pads with nulls
        if given == expected:
            continue
        unknown, missing = given - expected, expected - given
        if unknown:
            problems.append(("warning", where, f"{instruction}: unexpected kwarg(s) {', '.join(sorted(unknown))}"))
        if missing:
            problems.append(("warning", where, f"{instruction}: missing kwarg(s) {', '.join(sorted(missing))}"))
    return problems


def has_constraint_fields(row: Mapping[str, Any]) -> bool:
    reference = row.get("reference_answer")
    sources = [row] + ([reference] if isinstance(reference, dict) else [])
    return any("instruction_id_list" in s or "constraints" in s for s in sources)


def _is_scalar_answer(value: Any) -> bool:
    return isinstance(value, (int, float, str)) and not isinstance(value, bool) and str(value).strip() != ""


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def describe(value: Any) -> str:
    """A value as a short JSON excerpt with its type, for messages."""
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{json_type(value)} {shown}"
