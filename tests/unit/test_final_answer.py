"""The reasoning is not the answer: every grader reads what follows the model's closing reasoning tag."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from graders.code_exec.program import extract_program, plan_for_row
from graders.contract import final_answer
from tests.support.grader_handlers import format_handler_for


@pytest.mark.parametrize(
    "text,answer",
    [
        ("<think>draft</think>\nfinal", "\nfinal"),
        ("<THINKING>a</THINKING>b", "b"),
        ("<reasoning>x</reasoning>y", "y"),
        ("<think>one</think> mid <think>two</think> last", " last"),  # the last closing tag
        ("no reasoning at all", "no reasoning at all"),
        ("<think>cut at the token limit", "<think>cut at the token limit"),  # nothing closed: all of it
    ],
)
def test_final_answer_is_what_follows_the_last_closing_tag(text, answer):
    assert final_answer(text) == answer


@given(st.text(max_size=300))
def test_final_answer_is_always_a_suffix(text):
    assert text.endswith(final_answer(text))


def _item(item_id: str, response: str, **metadata):
    return {
        "id": item_id,
        "messages": [{"role": "user", "content": "Answer."}, {"role": "assistant", "content": response}],
        "metadata": metadata,
    }


def test_format_checks_read_the_answer_and_tag_structure_reads_everything():
    grade = format_handler_for({})
    thinking = "<think>Let me think, Carefully, with commas and Capitals. " + "word " * 80 + "</think>\n"
    ifeval = {"instruction_id_list": ["punctuation:no_comma", "change_case:english_lowercase"], "kwargs": [{}, {}]}
    short = {"constraints": [{"type": "length", "unit": "words", "max": 10}, {"type": "json"}]}
    tags = {"constraints": [{"type": "tags_in_order", "tags": ["think", "answer"], "allow_text_outside": True}]}
    results = grade(
        [
            _item("ifeval", thinking + "all lowercase and no commas", **ifeval),
            _item("ifeval-broken", thinking + "Not lowercase, and a comma", **ifeval),
            _item("structured", thinking + '{"ok": true}', **short),
            _item("tags", "<think>plan</think>\n<answer>42</answer>", **tags),
        ],
        None,
    )
    scores = {r["id"]: r["aggregate_reward_score"] for r in results}
    assert scores == {"ifeval": 1.0, "ifeval-broken": 0.0, "structured": 1.0, "tags": 1.0}


def test_code_drafted_while_reasoning_is_not_the_program():
    plan = plan_for_row({"tests": ["assert add(1, 2) == 3"]})
    draft = "<think>\n```python\ndef add(a, b):\n    return a - b\n```\n</think>\n"
    response = draft + "```python\ndef add(a, b):\n    return a + b\n```"
    program = extract_program(response, plan)
    assert program.source is not None and "a + b" in program.source and "a - b" not in program.source
    only_in_reasoning = "<think>\n```python\ndef add(a, b):\n    return a + b\n```\n</think>\nSee above."
    assert extract_program(only_in_reasoning, plan).source is None
