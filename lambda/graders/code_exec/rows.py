"""What a code row must carry (for ``rft validate``) and the answers ``rft rehearse`` grades.

Plain functions so wiring is one line each: ``row_problems(row)`` returns ``(level, field, message)``
problems like ``rft.checks.grader_fields``; ``reference_response(row)`` and ``corruptions(row)`` give responses.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from graders.contract import ItemError, Sample

from .program import RowTests, compiles, extract_program, plan_for_row

Problem = tuple[str, str, str]
CORRUPTIONS = ("fails_one_test", "does_not_compile", "never_ends")


def reference_program(row: Mapping[str, Any]) -> str | None:
    reference = row.get("reference_answer")
    if isinstance(reference, Mapping):
        reference = reference.get("solution", reference.get("canonical_solution"))
    return reference if isinstance(reference, str) and reference.strip() else None


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row's fields over those of an object reference_answer (as ``Sample.field`` reads them)."""
    fields = dict(row)
    if isinstance(row.get("reference_answer"), Mapping):
        fields = {**row["reference_answer"], **fields}
    return fields


def needs_problem(row: Mapping[str, Any] | Sample) -> str | None:
    """Why the code grader cannot grade this row whatever the answer (no tests it can run), or None.

    The one rule of "what a code row needs": ``rft validate`` reports it (``row_problems``) and the composite
    applies its code component only to rows where it is None (``graders.composite.row_checks``).
    """
    try:
        plan_for_row(row if isinstance(row, Sample) else _fields(row))
    except ItemError as exc:
        return f"the code grader cannot use it: {exc}"
    return None


def row_problems(row: Mapping[str, Any]) -> list[Problem]:
    """Errors for rows the code grader would score 0 whatever the answer; a warning without a reference program."""
    problem = needs_problem(row)
    if problem is not None:
        return [("error", "tests", problem)]
    plan = _plan(row)
    solution = reference_program(row)
    if solution is None:
        return [("warning", "reference_answer", "no reference program: rft rehearse has no right answer to grade")]
    program = extract_program(fence(solution), plan)
    if program.source is None or not compiles(program.source):
        return [("error", "reference_answer", "the reference program does not compile")]
    return []


def fence(program: str) -> str:
    return f"```python\n{program.rstrip()}\n```"


def reference_response(row: Mapping[str, Any]) -> str | None:
    solution = reference_program(row)
    return fence(solution) if solution else None


def _plan(row: Mapping[str, Any]) -> RowTests:
    return plan_for_row(_fields(row))


def _first_call_args(plan: RowTests) -> list[Any] | None:
    """The literal positional arguments of the entry point's first call in the first assert test."""
    test = plan.function_tests[0]
    if test["kind"] != "assert":
        return None
    for node in ast.walk(ast.parse(test["test"])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == plan.entry_point:
            try:
                return [ast.literal_eval(a) for a in node.args]
            except ValueError:
                return None
    return None


def fails_one_test(row: Mapping[str, Any]) -> str:
    """The reference program, changed to give a wrong answer on the first test (and on nothing else it can avoid)."""
    solution, plan = reference_program(row) or "", _plan(row)
    if plan.kind == "io":
        prelude = (
            "import sys as _rft_sys, io as _rft_io, atexit as _rft_atexit\n_rft_data = _rft_sys.stdin.read()\n"
            "_rft_sys.stdin = _rft_io.StringIO(_rft_data)\n"
            f"if _rft_data == {plan.io_cases[0][0]!r}:\n    _rft_atexit.register(print, 'rft-corrupted')\n"
        )
        return fence(prelude + solution)
    wrapper = f"""
def _rft_wrong(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, (list, tuple)):
        return type(value)(list(value) + [None])
    return ("corrupted", value)
_rft_original = globals()[{plan.entry_point!r}]
_rft_target = {_first_call_args(plan)!r}
def _rft_wrapper(*args, **kwargs):
    value = _rft_original(*args, **kwargs)
    return _rft_wrong(value) if _rft_target is None or list(args) == _rft_target else value
globals()[{plan.entry_point!r}] = _rft_wrapper
"""
    return fence(solution.rstrip() + "\n" + wrapper)


def does_not_compile(row: Mapping[str, Any]) -> str:
    return fence((reference_program(row) or "").rstrip() + "\n\ndef broken(:\n    return\n")


def never_ends(row: Mapping[str, Any]) -> str:
    return fence("while True:\n    pass\n" + (reference_program(row) or ""))


def corruptions(row: Mapping[str, Any]) -> dict[str, str]:
    """Corrupted responses by name; each must score below the reference."""
    return {
        "fails_one_test": fails_one_test(row),
        "does_not_compile": does_not_compile(row),
        "never_ends": never_ends(row),
    }
