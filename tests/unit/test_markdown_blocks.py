"""Fenced blocks as models write them: the one reader the code and tool-call graders share."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from graders.code_exec.program import extract_program, plan_for_row
from graders.contract import parse_sample
from graders.markdown import FencedBlock, fenced_blocks
from graders.tool_calls.calls import answer_calls

ADD = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize(
    "response",
    [
        f"```python\n{ADD}```",
        f"~~~python\n{ADD}~~~",  # tildes are a CommonMark fence too
        f"````python\n{ADD}````",  # a longer fence
        f"```Python3 title=solution.py\n{ADD}```",  # case and an info string after the language
        "1. The code:\n   ```python\n   def add(a, b):\n       return a + b\n   ```\n",  # inside a list item
        "Here it is:```python\ndef add(a, b):\n    return a + b```",  # opening mid-line, closing glued on
        f"```python\n{ADD}",  # cut at the token limit: no closing fence
    ],
    ids=["backticks", "tildes", "four", "info-string", "list-item", "glued", "unclosed"],
)
def test_every_way_of_fencing_the_solution_gives_the_same_program(response):
    program = extract_program(response, plan_for_row({"tests": ["assert add(1, 2) == 3"]}))
    assert program.how == "fenced"
    assert program.source is not None and program.source.strip() == ADD.strip()


def test_blocks_keep_their_order_language_and_body():
    text = 'a\n```json\n{"x": 1}\n```\nb\n~~~\nplain\n~~~\n```js\nf()\n```'
    assert fenced_blocks(text) == [
        FencedBlock("json", '{"x": 1}\n'),
        FencedBlock("", "plain\n"),
        FencedBlock("js", "f()\n"),
    ]


def test_a_tilde_fence_is_not_closed_by_backticks():
    [block] = fenced_blocks("~~~python\nx = '```'\ny = 2\n~~~")
    assert block.body == "x = '```'\ny = 2\n"


def test_tool_calls_in_a_tilde_or_indented_fence_are_read():
    call = {"name": "get_weather", "arguments": {"city": "Paris"}}
    for content in (f"~~~json\n{json.dumps(call)}\n~~~", f"- call:\n  ```json\n  {json.dumps(call)}\n  ```"):
        sample = parse_sample(
            {"id": "t", "messages": [{"role": "user", "content": "?"}, {"role": "assistant", "content": content}]}
        )
        calls, _ = answer_calls(sample)
        assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris"})], content


@given(st.text(max_size=400))
def test_any_text_is_read_without_raising(text):
    for block in fenced_blocks(text):
        assert isinstance(block.language, str) and isinstance(block.body, str)
