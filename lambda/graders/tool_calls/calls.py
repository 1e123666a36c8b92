"""Tool calls as data: the reference calls and tool schemas of a row, and the calls in an answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graders.contract import ItemError, Sample, final_answer, message_text
from graders.markdown import fenced_blocks

MAX_CALLS = 12
# Hermes / Qwen chat templates write each call in these tags; an answer cut at the token limit may lose the last.
TOOL_CALL_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
JSON_START = re.compile(r"[\[{]")
MAX_SCANNED_CHARS = 100_000
MAX_JSON_ATTEMPTS = 64  # starts of a JSON value tried per text: prose full of braces stays cheap


@dataclass(frozen=True)
class Call:
    name: str
    arguments: Any  # a dict for well-formed calls; whatever was sent otherwise
    arguments_ok: bool = True  # arguments were a JSON object (or JSON text of one)


def _arguments(raw: Any) -> tuple[Any, bool]:
    if raw is None:
        return {}, True
    if isinstance(raw, str):
        if not raw.strip():
            return {}, True
        try:
            raw = json.loads(raw)
        except ValueError:
            return raw, False
    return (raw, True) if isinstance(raw, Mapping) else (raw, False)


def as_call(raw: Any) -> Call | None:
    """One call from the shapes models and datasets use: OpenAI ``{"type": "function", "function": {...}}``,
    ``{"name", "arguments"|"parameters"|"args"}``, or ``{"function": "name", "arguments": ...}``."""
    if not isinstance(raw, Mapping):
        return None
    inner = raw.get("function")
    if isinstance(inner, Mapping):
        raw = inner
    name = raw.get("name", inner if isinstance(inner, str) else None)
    if not isinstance(name, str) or not name.strip():
        return None
    for key in ("arguments", "parameters", "args", "input"):
        if key in raw:
            arguments, ok = _arguments(raw[key])
            break
    else:
        arguments, ok = {}, True
    return Call(name=name.strip(), arguments=dict(arguments) if ok else arguments, arguments_ok=ok)


def calls_from_value(value: Any) -> list[Call] | None:
    """A list of calls from a JSON value, or None when it does not look like calls at all."""
    if isinstance(value, Mapping):
        for key in ("tool_calls", "calls", "function_calls"):
            if isinstance(value.get(key), list):
                value = value[key]
                break
        else:
            call = as_call(value)
            return [call] if call else None
    if isinstance(value, list):
        calls = [as_call(v) for v in value]
        if value and any(c is None for c in calls):
            return None
        return [c for c in calls if c][: MAX_CALLS * 2]
    return None


def _embedded_values(text: str) -> list[Any]:
    """Every top-level JSON object or list in ``text``, in order (several calls are often several objects)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    text = text[:MAX_SCANNED_CHARS]
    index, attempts = 0, 0
    while attempts < MAX_JSON_ATTEMPTS and (found := JSON_START.search(text, index)):
        attempts += 1
        try:
            value, index = decoder.raw_decode(text, found.start())
            values.append(value)
        except (ValueError, RecursionError):
            index = found.start() + 1
    return values


def _collected(values: Iterable[Any]) -> list[Call] | None:
    """The calls of every value that holds calls, in order; None when none does."""
    calls: list[Call] = []
    found = False
    for value in values:
        part = calls_from_value(value)
        if part is not None:
            found = True
            calls += part
    return calls[: MAX_CALLS * 2] if found else None


def calls_in_text(text: str) -> list[Call] | None:
    """Calls written as text, after any reasoning (``contract.final_answer``): the ``<tool_call>`` tags, else the fenced
    blocks, else the JSON values of the text; from the first of these that holds calls, all of its calls."""
    text = final_answer(text)
    for chunks in (TOOL_CALL_TAG.findall(text), [block.body for block in fenced_blocks(text)], [text]):
        calls = _collected(value for chunk in chunks for value in _embedded_values(chunk))
        if calls is not None:
            return calls
    return None


def answer_calls(sample: Sample) -> tuple[list[Call], str]:
    """The answer's calls and where they came from: ``tool_calls`` on the final message, else JSON in its text."""
    last = sample.last_message
    structured = last.get("tool_calls") if isinstance(last, Mapping) else None
    if isinstance(structured, list) and structured:
        calls = [as_call(c) for c in structured]
        return [c for c in calls if c][: MAX_CALLS * 2], "tool_calls"
    legacy = last.get("function_call") if isinstance(last, Mapping) else None
    if isinstance(legacy, Mapping) and as_call(legacy):
        return [as_call(legacy)], "function_call"  # type: ignore[list-item]
    found = calls_in_text(message_text(last))
    return (found, "content") if found is not None else ([], "none")


def reference_calls(fields: Mapping[str, Any] | Sample) -> list[Call]:
    """The row's reference calls (``reference_answer: {"tool_calls": [...]}``, a list, or JSON text of either)."""
    if isinstance(fields, Sample):
        value = fields.field("tool_calls")
        if value is None:
            value = fields.reference_answer
    else:
        value = fields.get("tool_calls")
        if value is None:
            value = fields.get("reference_answer")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ItemError("reference_answer is text that is not JSON tool calls") from None
    if isinstance(value, list) and not value:
        return []
    calls = calls_from_value(value)
    if calls is None:
        raise ItemError('row has no reference tool calls: give reference_answer {"tool_calls": [...]}')
    if any(not c.arguments_ok for c in calls):
        raise ItemError("a reference call's arguments are not a JSON object")
    if len(calls) > MAX_CALLS:
        raise ItemError(f"more than {MAX_CALLS} reference calls")
    return calls


def tool_schemas(fields: Mapping[str, Any] | Sample) -> dict[str, Mapping[str, Any]]:
    """Function name -> JSON schema of its parameters, from OpenAI ``tools`` (or bare function objects)."""
    tools = fields.field("tools") if isinstance(fields, Sample) else fields.get("tools")
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except ValueError:
            raise ItemError("tools is text that is not JSON") from None
    if tools is None:
        return {}
    if not isinstance(tools, list):
        raise ItemError("tools must be a list of function definitions")
    schemas: dict[str, Mapping[str, Any]] = {}
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise ItemError("a tool has no function name")
        parameters = function.get("parameters", {"type": "object"})
        if not isinstance(parameters, Mapping):
            raise ItemError(f"tool {function['name']!r}: parameters must be a JSON schema object")
        schemas[function["name"]] = parameters
    return schemas
