"""What each grader needs from a training row: the math reference, the format constraints, the
composite's choice of graders. Each check returns ``(level, field, message)`` problems, level being
``"error"`` or ``"warning"``; the dataset validator adds the file and line.

The math and format checks run the graders' own code (``graders.math_answer.reference`` and
``graders.format_rules.constraints``) on the row, so a row passes exactly when the grader can use
it: anything the grader would score 0 whatever the response is an error here, with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from graders.catalog import COMPONENTS, GRADERS  # noqa: F401  (re-exported: the catalogue is the one list)
from graders.contract import ItemError, message_text
from graders.format_rules.arguments import RowContext
from graders.format_rules.constraints import Constraint, ifeval_constraint, spec_from_fields, structured_constraint
from graders.format_rules.grader import constraint_fields
from graders.math_answer.reference import ANSWER_KEYS, reference_answers

COMPOSITE_GRADERS_FIELD = "graders"  # the row field naming the graders a composite row uses (graders.composite)
MAX_REFERENCE_ALTERNATIVES = 20  # the math grader reads the first 20 items of a list reference
REFERENCE = "reference_answer"

Problem = tuple[str, str, str]


def graders_for_row(
    row: Mapping[str, Any], grader: str, composite_defaults: Sequence[str] | None
) -> tuple[tuple[str, ...], list[Problem]]:
    """The graders whose needs apply to this row, and problems with its ``graders`` field.

    Like ``graders.composite``: the field is read from the row, else from an object reference_answer,
    and may be a list of names or one comma-separated string; names are case-insensitive.
    """
    if grader != "composite":
        return (grader,), []
    reference = row.get(REFERENCE)
    named = row.get(COMPOSITE_GRADERS_FIELD)
    if named is None and isinstance(reference, dict):
        named = reference.get(COMPOSITE_GRADERS_FIELD)
    if named is None:
        if composite_defaults is not None:
            return tuple(g for g in composite_defaults if g in COMPONENTS), []
        # The composite's default set is unknown here: check what the row evidently aims at.
        if has_constraint_fields(row):
            return ("format",), []
        evident = tuple(name for name in ROW_CHECKS if _aims_at(row, name))  # code tests, reference tool calls
        if evident:
            return evident, []
        return (("math",) if _looks_like_math_reference(reference) else ()), []
    if isinstance(named, str):
        named = named.replace(";", ",").split(",")
    if not isinstance(named, list) or not all(isinstance(g, str) for g in named):
        return (), [("error", COMPOSITE_GRADERS_FIELD, f"must be a list of grader names, got {describe(named)}")]
    names = [g.strip().lower() for g in named if g.strip()]
    problems: list[Problem] = []
    unknown = [g for g in names if g not in COMPONENTS]
    if unknown or not names:
        problems.append(
            (
                "error",
                COMPOSITE_GRADERS_FIELD,
                f"unknown grader(s) {', '.join(map(repr, unknown))}; use {_names(COMPONENTS)}"
                if unknown
                else "names no grader",
            )
        )
    return tuple(dict.fromkeys(g for g in names if g in COMPONENTS)), problems


# -- code and tools (issue 13): the graders' own row checks -------------------------------------


def code_row_problems(row: Mapping[str, Any]) -> list[Problem]:
    """What ``graders.code_exec.rows.row_problems`` finds: tests the code grader cannot run, no reference program."""
    from graders.code_exec.rows import row_problems

    return list(row_problems(row))


def tool_row_problems(row: Mapping[str, Any]) -> list[Problem]:
    """What ``graders.tool_calls.rows.row_problems`` finds: unreadable reference calls or tools, schema breaks."""
    from graders.tool_calls.rows import row_problems

    return list(row_problems(row))


ROW_CHECKS = {"code": code_row_problems, "tools": tool_row_problems}
# What each row needs, the one rule: the composite applies its code/tools component exactly where it is None.
NEEDS = {"code": "graders.code_exec.rows", "tools": "graders.tool_calls.rows"}


def needs_problem(row: Mapping[str, Any], grader: str) -> str | None:
    """Why ``grader`` (code or tools) cannot grade this row whatever the answer: its ``rows.needs_problem``."""
    import importlib

    return importlib.import_module(NEEDS[grader]).needs_problem(row)


def _aims_at(row: Mapping[str, Any], grader: str) -> bool:
    """The row carries the fields of that grader (tests, tool calls), usable or not: checked as that grader."""
    reference = row.get(REFERENCE)
    sources = [row] + ([reference] if isinstance(reference, dict) else [])
    markers = {"code": ("tests", "test_cases", "test_list", "entry_point"), "tools": ("tool_calls", "tools")}
    return needs_problem(row, grader) is None or any(key in source for source in sources for key in markers[grader])


def _names(names: Sequence[str]) -> str:
    quoted = [repr(n) for n in names]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1] if len(quoted) > 1 else "".join(quoted)


# -- math ----------------------------------------------------------------------------------------


def math_reference_problems(row: Mapping[str, Any]) -> list[Problem]:
    """Whatever ``graders.math_answer.reference.reference_answers`` accepts: a number, a text answer
    or worked solution, an object holding one under an answer key, or a list of alternatives."""
    if REFERENCE not in row:
        return [("error", REFERENCE, "missing: the math grader compares the answer with it")]
    reference = row[REFERENCE]
    try:
        reference_answers(reference)
    except ItemError as exc:
        where, value = _failing_part(reference, REFERENCE)
        return [("error", where, f"the math grader cannot use it: {exc} (got {describe(value)})")]
    if isinstance(reference, list) and len(reference) > MAX_REFERENCE_ALTERNATIVES:
        return [
            (
                "warning",
                REFERENCE,
                f"{len(reference)} alternatives: the math grader reads only the first {MAX_REFERENCE_ALTERNATIVES}",
            )
        ]
    return []


def _failing_part(raw: Any, where: str) -> tuple[str, Any]:
    """The innermost part of a reference that the math grader rejects, following its own walk."""
    if isinstance(raw, dict):
        for key in ANSWER_KEYS:
            if raw.get(key) is not None:
                return _failing_part(raw[key], f"{where}.{key}")
    elif isinstance(raw, list):
        for index, item in enumerate(raw[:MAX_REFERENCE_ALTERNATIVES]):
            try:
                reference_answers(item)
            except ItemError:
                return _failing_part(item, f"{where}[{index}]")
    return where, raw


def _looks_like_math_reference(value: Any) -> bool:
    if isinstance(value, dict):
        return any(value.get(key) is not None for key in ANSWER_KEYS)
    if isinstance(value, list):
        return bool(value)
    return isinstance(value, (int, float, str)) and not isinstance(value, bool) and str(value).strip() != ""


# -- format --------------------------------------------------------------------------------------


def format_constraint_problems(row: Mapping[str, Any], has_default_constraints: bool) -> list[Problem]:
    """Builds the row's constraints with the format grader's code and reports each one it could not
    build (unknown instruction id, bad kwargs, bad structured check): the grader scores those 0."""
    fields, origins = constraint_fields(row, row.get(REFERENCE))
    spec = spec_from_fields(fields)
    if spec is None:
        if has_default_constraints:
            return []
        return [
            (
                "error",
                "instruction_id_list",
                "missing: the format grader needs 'instruction_id_list' "
                "and 'kwargs' (or 'constraints') in the row or in an object reference_answer, or "
                "default constraints in the configuration",
            )
        ]
    context = RowContext(last_user_prompt=_last_user_prompt(row.get("messages")))
    problems: list[Problem] = []
    if "instruction_id_list" in spec:
        problems += _ifeval_problems(origins, spec, context)
    if "constraints" in spec:
        problems += _structured_problems(origins["constraints"] + "constraints", spec["constraints"], context)
    if not problems and not _constraint_count(spec):
        name = "instruction_id_list" if "instruction_id_list" in spec else "constraints"
        problems.append(("error", origins[name] + name, "empty: the format grader scores a row without constraints 0"))
    return problems


def _constraint_count(spec: Mapping[str, Any]) -> int:
    """How many constraints ``build_constraints`` makes of a spec whose lists are well formed."""
    entries = spec.get("constraints")
    return len(spec.get("instruction_id_list") or ()) + (1 if isinstance(entries, dict) else len(entries or ()))


def _ifeval_problems(origins: Mapping[str, str], spec: Mapping[str, Any], context: RowContext) -> list[Problem]:
    ids_field = origins["instruction_id_list"] + "instruction_id_list"
    kwargs_field = origins.get("kwargs", origins["instruction_id_list"]) + "kwargs"
    ids, kwargs = spec["instruction_id_list"], spec.get("kwargs")
    if not isinstance(ids, list):
        return [("error", ids_field, f"must be a list of instruction ids, got {describe(ids)}")]
    if kwargs is None:
        kwargs = [None] * len(ids)
    elif not isinstance(kwargs, list):
        return [
            (
                "error",
                kwargs_field,
                f"must be a list of objects aligned with instruction_id_list, got {describe(kwargs)}",
            )
        ]
    elif len(kwargs) != len(ids):  # the grader would pair the ids with the wrong kwargs, or none
        return [
            ("error", kwargs_field, f"has {len(kwargs)} entries for {len(ids)} instruction ids; they must be aligned")
        ]
    problems: list[Problem] = []
    for index, (instruction_id, arguments) in enumerate(zip(ids, kwargs)):
        constraint = ifeval_constraint(instruction_id, arguments, context)
        if constraint.error is not None:
            bad_id = not isinstance(instruction_id, str) or constraint.error.startswith("unknown instruction id")
            where = f"{ids_field}[{index}]" if bad_id else f"{kwargs_field}[{index}]"
            problems.append(_constraint_error(where, constraint))
    return problems


def _structured_problems(where: str, entries: Any, context: RowContext) -> list[Problem]:
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return [("error", where, f"must be a list of objects, got {describe(entries)}")]
    problems: list[Problem] = []
    for index, entry in enumerate(entries):
        constraint = structured_constraint(entry, context)
        if constraint.error is None:
            continue
        entry_field = f"{where}[{index}]"
        if isinstance(entry, dict) and "instruction_id" in entry:
            unknown = constraint.error.startswith(("unknown instruction id", "instruction id must be"))
            entry_field += ".instruction_id" if unknown else ".kwargs"
        elif isinstance(entry, dict) and constraint.error.startswith("unknown constraint type"):
            entry_field += ".type"
        problems.append(_constraint_error(entry_field, constraint))
    return problems


def _constraint_error(where: str, constraint: Constraint) -> Problem:
    return ("error", where, f"{constraint.name}: {constraint.error} (the format grader scores it 0)")


def _last_user_prompt(messages: Any) -> str:
    """As ``Sample.last_user_prompt``: the text of the last user turn of the prompt."""
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message)
    return ""


def has_constraint_fields(row: Mapping[str, Any]) -> bool:
    reference = row.get(REFERENCE)
    sources = [row] + ([reference] if isinstance(reference, dict) else [])
    return any("instruction_id_list" in s or "constraints" in s for s in sources)


# -- messages ------------------------------------------------------------------------------------


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
    if value is None:
        return "null"
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{json_type(value)} {shown}"
