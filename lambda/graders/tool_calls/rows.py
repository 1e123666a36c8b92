"""What a tool-call row must carry (for ``rft validate``) and the answers ``rft rehearse`` grades."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from graders.contract import ItemError, Sample

from .calls import Call, reference_calls, tool_schemas
from .grader import schema_problem

Problem = tuple[str, str, str]
CORRUPTIONS = ("wrong_name", "wrong_argument")


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(row)
    if isinstance(row.get("reference_answer"), Mapping):
        fields = {**row["reference_answer"], **fields}
    return fields


def needs_problem(row: Mapping[str, Any] | Sample) -> str | None:
    """Why the tool-call grader cannot grade this row whatever the answer (reference calls or tools it cannot
    read), or None.

    The one rule of "what a tools row needs": ``rft validate`` reports it (``row_problems``) and the composite
    applies its tools component only to rows where it is None (``graders.composite.row_checks``).
    """
    fields = row if isinstance(row, Sample) else _fields(row)
    try:
        reference_calls(fields)
        tool_schemas(fields)
    except ItemError as exc:
        return f"the tool-call grader cannot use it: {exc}"
    return None


def row_problems(row: Mapping[str, Any]) -> list[Problem]:
    """Errors when the grader cannot read the reference calls or tools, or the reference breaks its own schema."""
    problem = needs_problem(row)
    if problem is not None:
        return [("error", "reference_answer", problem)]
    fields = _fields(row)
    calls, schemas = reference_calls(fields), tool_schemas(fields)
    problems: list[Problem] = []
    if not schemas:
        problems.append(("warning", "tools", "no tool schemas: arguments are not checked against a schema"))
    for index, call in enumerate(calls):
        where = f"reference_answer.tool_calls[{index}]"
        if schemas and call.name not in schemas:
            problems.append(("error", where, f"calls {call.name!r}, which is not among the row's tools"))
            continue
        problem = schema_problem(call.arguments, schemas.get(call.name))
        if problem:
            problems.append(("error", where, f"arguments break the tool's schema: {problem}"))
    return problems


def render(calls: list[Call]) -> str:
    """Calls as a model often writes them: a JSON list in a fenced block."""
    body = json.dumps([{"name": c.name, "arguments": c.arguments} for c in calls], ensure_ascii=False)
    return f"```json\n{body}\n```"


def reference_response(row: Mapping[str, Any]) -> str:
    return render(reference_calls(_fields(row)))


def wrong_name(row: Mapping[str, Any]) -> str:
    """The first call goes to another of the row's tools (or a made-up one), arguments unchanged."""
    fields = _fields(row)
    calls = reference_calls(fields)
    if not calls:
        return render([Call("unexpected_call", {})])
    others = [n for n in tool_schemas(fields) if n != calls[0].name]
    calls[0] = Call(others[0] if others else calls[0].name + "_v2", calls[0].arguments)
    return render(calls)


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 7
    if isinstance(value, str):
        return value[::-1] + "x"
    if isinstance(value, list):
        return value + [value[0]] if value else ["x"]
    return "changed"


def wrong_argument(row: Mapping[str, Any]) -> str:
    """One argument value of the first call changed (an enum moves to another allowed value)."""
    fields = _fields(row)
    calls = reference_calls(fields)
    if not calls or not calls[0].arguments:
        return render(calls + [Call("unexpected_call", {})])
    first = calls[0]
    key = sorted(first.arguments)[0]
    schema = tool_schemas(fields).get(first.name, {})
    enum = (schema.get("properties", {}).get(key, {}) or {}).get("enum") if isinstance(schema, Mapping) else None
    options = [e for e in enum or [] if e != first.arguments[key]]
    arguments = dict(first.arguments, **{key: options[0] if options else _changed(first.arguments[key])})
    calls[0] = Call(first.name, arguments)
    return render(calls)


def corruptions(row: Mapping[str, Any]) -> dict[str, str]:
    return {"wrong_name": wrong_name(row), "wrong_argument": wrong_argument(row)}
