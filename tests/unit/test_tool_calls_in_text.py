"""Calls a model writes as text: several of them, in tags, lines or blocks, after its reasoning."""

from __future__ import annotations

import json

import pytest

from graders.tool_calls.calls import MAX_CALLS, calls_in_text

WEATHER = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
TIME = {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}
BOTH = [("get_weather", {"city": "Paris", "unit": "celsius"}), ("get_time", {"tz": "Europe/Paris"})]
W, T = json.dumps(WEATHER), json.dumps(TIME)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([WEATHER, TIME]),
        f"<tool_call>\n{W}\n</tool_call>\n<tool_call>\n{T}\n</tool_call>",  # Hermes / Qwen templates
        f"<tool_call>{W}</tool_call><tool_call>{T}",  # the last tag cut at the token limit
        f"{W}\n{T}",  # one call per line
        f"```json\n{W}\n```\nthen\n```json\n{T}\n```",  # one block per call
        f"I will check both.\n{W}\nand\n{T}\nDone.",  # calls in prose
        f'<think>first {{"name": "get_time", "arguments": {{}}}} maybe</think>\n{json.dumps([WEATHER, TIME])}',
    ],
    ids=["list", "tags", "cut-tag", "lines", "blocks", "prose", "after-reasoning"],
)
def test_every_call_written_is_read_in_order(text):
    calls = calls_in_text(text)
    assert calls is not None and [(c.name, c.arguments) for c in calls] == BOTH


def test_tags_win_over_json_elsewhere_and_text_without_calls_has_none():
    noted = f'Plan: {{"name": "draft", "arguments": {{}}}}\n<tool_call>{W}</tool_call>'
    assert [c.name for c in calls_in_text(noted) or []] == ["get_weather"]
    assert calls_in_text("It is sunny in Paris {not json} [1, 2]") is None
    assert calls_in_text("") is None


def test_hostile_text_stays_bounded():
    assert calls_in_text("[" * 50_000) is None  # deep nesting: no RecursionError
    assert calls_in_text("{" * 100_000 + W) is None  # only a bounded number of starts is tried
    many = "\n".join([W] * 100)
    assert len(calls_in_text(many) or []) == MAX_CALLS * 2
