"""What to run and what to run it against: the program in a response, and the tests in a row."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graders.contract import ItemError, Sample, final_answer
from graders.markdown import fenced_blocks

PYTHON_LABELS = frozenset({"", "python", "python3", "py", "py3"})
MAX_PROGRAM_CHARS = 64_000
MAX_TESTS = 50
MAX_TEST_CHARS = 200_000


@dataclass(frozen=True)
class RowTests:
    """The tests of one row. ``function`` tests are judged in a trusted process; ``io`` by comparing output."""

    kind: str  # "function" | "io"
    function_tests: tuple[dict[str, Any], ...] = ()
    io_cases: tuple[tuple[str, str], ...] = ()
    entry_point: str | None = None
    starter: str = ""
    setup: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.function_tests) if self.kind == "function" else len(self.io_cases)


def row_field(sample: Sample, name: str) -> Any:
    """``Sample.field``, plus an object reference_answer written as JSON text."""
    value = sample.field(name)
    if value is None and isinstance(sample.reference_answer, str) and sample.reference_answer.lstrip()[:1] == "{":
        try:
            decoded = json.loads(sample.reference_answer)
        except ValueError:
            return None
        if isinstance(decoded, Mapping):
            return decoded.get(name)
    return value


def plan_for_row(fields: Mapping[str, Any] | Sample) -> RowTests:
    """The row's tests (raises :class:`ItemError` when it has none the grader can use)."""
    get = (lambda n: row_field(fields, n)) if isinstance(fields, Sample) else fields.get
    language = get("language")
    if language is not None and str(language).strip().lower() not in ("python", "python3", "py"):
        raise ItemError(f"language {language!r} is not supported (Python 3 only)")
    starter = get("starter_code") or get("prompt_code") or ""
    if not isinstance(starter, str):
        raise ItemError("starter_code must be text")
    setup = get("test_setup_code") or ""
    if not isinstance(setup, str):
        raise ItemError("test_setup_code must be text")
    entry = get("entry_point")
    if entry is not None and (not isinstance(entry, str) or not entry.isidentifier()):
        raise ItemError(f"entry_point {entry!r} is not a Python name")
    cases = get("test_cases")
    tests = get("tests")
    if tests is None:
        tests = get("test_list") if get("test_list") is not None else get("test")
    if cases is not None:
        return RowTests(kind="io", io_cases=_io_cases(cases), starter=starter)
    if tests is None:
        raise ItemError("row has no tests: give 'tests' (check(candidate) text or a list of asserts) or 'test_cases'")
    function_tests = _function_tests(tests, entry)
    if entry is None:
        entry = _called_name(function_tests)
    if function_tests[0]["kind"] == "check" and not entry:
        raise ItemError("check(candidate) tests need an entry_point")
    return RowTests(
        kind="function",
        function_tests=tuple(dict(t, entry_point=entry) for t in function_tests),
        entry_point=entry,
        starter=starter,
        setup=setup,
    )


def _io_cases(cases: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(cases, list) or not cases:
        raise ItemError("test_cases must be a non-empty list of {input, output}")
    out = []
    for number, case in enumerate(cases[:MAX_TESTS], 1):
        if not isinstance(case, Mapping) or not isinstance(case.get("output", case.get("expected_output")), str):
            raise ItemError(f"test_cases[{number - 1}] needs a text 'output'")
        stdin = case.get("input", "")
        if not isinstance(stdin, str):
            raise ItemError(f"test_cases[{number - 1}].input must be text")
        out.append((stdin, case.get("output", case.get("expected_output"))))
    return tuple(out)


def _function_tests(tests: Any, entry: str | None) -> list[dict[str, Any]]:
    if isinstance(tests, list):
        if not tests or not all(isinstance(t, str) and t.strip() for t in tests):
            raise ItemError("tests must be a non-empty list of assert statements")
        for t in tests:
            _parse(t, "a test")
        return [{"kind": "assert", "test": t} for t in tests[:MAX_TESTS]]
    if not isinstance(tests, str) or not tests.strip():
        raise ItemError("tests must be text or a list of asserts")
    if len(tests) > MAX_TEST_CHARS:
        raise ItemError("tests are too long")
    tree = _parse(tests, "the tests")
    if any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
        return [{"kind": "check", "test": tests}]
    asserts = [n for n in tree.body if isinstance(n, ast.Assert)]
    if not asserts:
        raise ItemError("tests hold neither def check(candidate) nor top-level asserts")
    prelude = "\n".join(ast.get_source_segment(tests, n) or "" for n in tree.body if not isinstance(n, ast.Assert))
    return [
        {"kind": "assert", "test": (prelude + "\n" if prelude else "") + (ast.get_source_segment(tests, n) or "")}
        for n in asserts[:MAX_TESTS]
    ]


def _parse(source: str, what: str) -> ast.Module:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ItemError(f"{what} do(es) not parse: {exc}") from None


def _called_name(tests: list[dict[str, Any]]) -> str | None:
    """MBPP rows name no entry point: the first function the first test calls."""
    import builtins

    for node in ast.walk(ast.parse(tests[0]["test"])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not hasattr(builtins, node.func.id):
            return node.func.id
    return None


# --- the program -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    source: str | None  # None: no code found
    how: str  # "fenced" | "whole" | "continuation" | "none"


def code_blocks(response: str) -> list[str]:
    return [block.body for block in fenced_blocks(response) if block.language in PYTHON_LABELS]


def last_code_block(response: str, entry_point: str | None = None) -> str | None:
    """The last Python block; with an entry point, the last block defining it when a later one does not (a usage
    example after the solution is common)."""
    blocks = code_blocks(response)
    if not blocks:
        return None
    if entry_point and not defines(blocks[-1], entry_point):
        defining = [b for b in blocks if defines(b, entry_point)]
        if defining:
            return defining[-1]
    return blocks[-1]


def parses(source: str) -> bool:
    try:
        ast.parse(source)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False


def defines(source: str, name: str) -> bool:
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", source, re.MULTILINE) is not None


def extract_program(response: str, plan: RowTests) -> Program:
    """The last fenced Python block, else the whole response when it parses; a stub continuation when the row
    has ``starter_code`` and the code does not define the entry point at the top level."""
    if not isinstance(response, str) or not response.strip():
        return Program(None, "none")
    response = final_answer(response)[: MAX_PROGRAM_CHARS * 2]  # code drafted while reasoning is no answer
    block = last_code_block(response, plan.entry_point)
    text = block if block is not None else response
    if not text.strip():
        return Program(None, "none")
    starter = plan.starter.rstrip("\n") + "\n" if plan.starter.strip() else ""
    if starter and plan.entry_point and not defines(text, plan.entry_point):
        joined = starter + text
        if block is not None or parses(joined):
            return Program(joined[:MAX_PROGRAM_CHARS], "continuation")
    if block is None and not parses(text):
        return Program(None, "none")
    return Program(((starter + "\n\n") if starter else "") + text[:MAX_PROGRAM_CHARS], "fenced" if block else "whole")


def compiles(source: str) -> bool:
    try:
        compile(source, "program.py", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
