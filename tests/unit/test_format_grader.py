"""The format grader end to end: where constraints come from, scoring, loose mode, bad rows, the handler."""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

import pytest

from graders.composite_handler import build_format
from graders.contract import Grade, grade_safely, parse_sample
from graders.format_handler import build_format_grader
from graders.format_rules import FormatGrader
from graders.format_rules.constraints import Constraint
from tests.support.grader_handlers import format_handler_for

PROMPT = "Write a short poem about the sea."
POEM = "<<Sea Song>>\nThe *waves* roll in\nthe gulls cry out\nP.S. I love the coast."


def item(
    answer: str, item_id: str = "s1", *, role: str = "assistant", top_level: dict | None = None, **metadata
) -> dict:
    raw = {
        "id": item_id,
        "messages": [{"role": "user", "content": PROMPT}, {"role": role, "content": answer}],
        "metadata": metadata,
    }
    raw.update(top_level or {})
    return raw


def ifeval(*pairs) -> dict:
    return {"instruction_id_list": [p[0] for p in pairs], "kwargs": [p[1] for p in pairs]}


def metrics(result: dict) -> dict[str, float]:
    assert all(entry["type"] == "Metric" for entry in result["metrics_list"])
    return {entry["name"]: entry["value"] for entry in result["metrics_list"]}


def handler_for(**env: str):
    return format_handler_for(env)


@pytest.fixture
def grader_log(caplog):
    logger = logging.getLogger("graders")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="graders")
    yield caplog
    logger.removeHandler(caplog.handler)


def test_bedrock_batch_scores_the_fraction_of_constraints_met():
    constraints = ifeval(
        ("detectable_format:title", {}),
        ("punctuation:no_comma", {}),
        ("length_constraints:number_words", {"num_words": 50, "relation": "at least"}),
    )
    results = handler_for()([item(POEM, "a", **constraints), item("no title, and commas", "b", **constraints)], None)
    assert [r["id"] for r in results] == ["a", "b"]
    assert results[0]["aggregate_reward_score"] == pytest.approx(2 / 3)
    assert metrics(results[0]) == {
        "detectable_format:title": 1.0,
        "punctuation:no_comma": 1.0,
        "length_constraints:number_words": 0.0,
    }
    assert results[1]["aggregate_reward_score"] == 0.0


def test_all_or_nothing_scoring_from_the_environment():
    constraints = ifeval(("detectable_format:title", {}), ("detectable_format:json_format", {}))
    [result] = handler_for(FORMAT_SCORING="all_or_nothing")([item(POEM, **constraints)], None)
    assert result["aggregate_reward_score"] == 0.0
    assert metrics(result) == {"detectable_format:title": 1.0, "detectable_format:json_format": 0.0}


def test_a_repeated_id_gets_a_numbered_suffix():
    constraints = ifeval(
        ("keywords:existence", {"keywords": ["waves"]}),
        ("keywords:existence", {"keywords": ["moon"]}),
        ("keywords:existence", {"keywords": ["gulls"]}),
    )
    constraints["constraints"] = [{"type": "regex", "pattern": "Sea"}, {"type": "regex", "pattern": "Moon"}]
    [result] = handler_for()([item(POEM, **constraints)], None)
    assert metrics(result) == {
        "keywords:existence": 1.0,
        "keywords:existence#2": 0.0,
        "keywords:existence#3": 1.0,
        "regex": 1.0,
        "regex#2": 0.0,
    }
    assert result["aggregate_reward_score"] == pytest.approx(3 / 5)


def test_loose_mode_accepts_ifevals_response_variants():
    answer = 'Here is the JSON you asked for:\n```json\n{"sea": "blue"}\n```\nEnjoy!'
    constraints = ifeval(("detectable_format:json_format", {}), ("startend:quotation", {}))
    [strict] = handler_for()([item(answer, **constraints)], None)
    [loose] = handler_for(FORMAT_LOOSE="true")([item(answer, **constraints)], None)
    assert metrics(strict)["detectable_format:json_format"] == 0.0
    assert metrics(loose) == {"detectable_format:json_format": 1.0, "startend:quotation": 0.0}


def test_loose_mode_does_not_apply_to_structured_checks():
    answer = 'Intro line\n{"a": 1}'
    constraints: dict[str, Any] = {"constraints": [{"type": "json"}]}
    assert handler_for(FORMAT_LOOSE="true")([item(answer, **constraints)], None)[0]["aggregate_reward_score"] == 0.0


def test_unknown_ids_and_bad_kwargs_score_zero_with_a_logged_reason(grader_log):
    constraints = ifeval(
        ("detectable_format:title", {}),
        ("detectable_format:haiku", {}),
        ("length_constraints:number_words", {"num_words": "many", "relation": "at least"}),
    )
    constraints["constraints"] = [{"type": "colour", "id": "colour_check"}]
    [result] = handler_for()([item(POEM, "bad-row", **constraints)], None)
    assert metrics(result) == {
        "detectable_format:title": 1.0,
        "detectable_format:haiku": 0.0,
        "length_constraints:number_words": 0.0,
        "colour_check": 0.0,
    }
    assert result["aggregate_reward_score"] == pytest.approx(1 / 4)
    logged = "\n".join(record.getMessage() for record in grader_log.records)
    assert "item bad-row scored 0.250" in logged
    assert "unknown instruction id 'detectable_format:haiku'" in logged
    assert "kwarg 'num_words' must be a whole number, got 'many'" in logged
    assert "unknown constraint type 'colour'" in logged


def test_malformed_constraint_fields_cost_the_row_not_the_batch():
    rows = [
        item(POEM, "a", instruction_id_list="detectable_format:title", kwargs=[{}]),
        item(POEM, "b", instruction_id_list=["detectable_format:title"], kwargs={"oops": 1}),
        item(POEM, "c", constraints=[42]),
        item(POEM, "d", **ifeval(("detectable_format:title", {}))),
    ]
    results = handler_for()(rows, None)
    assert [r["aggregate_reward_score"] for r in results] == [0.0, 0.0, 0.0, 1.0]


def test_constraints_inside_an_object_reference_answer_at_the_top_level():
    reference = {
        "answer": "a poem",
        **ifeval(("detectable_format:title", {}), ("detectable_content:postscript", {"postscript_marker": "P.S."})),
    }
    [result] = handler_for()([item(POEM, top_level={"reference_answer": reference})], None)
    assert result["aggregate_reward_score"] == 1.0 and len(result["metrics_list"]) == 2


def test_constraints_written_as_json_text_are_read():
    stringified: dict[str, Any] = {
        "instruction_id_list": json.dumps(["detectable_format:title"]),
        "kwargs": json.dumps([{}]),
    }
    as_reference = json.dumps(ifeval(("punctuation:no_comma", {})))
    results = handler_for()([item(POEM, "a", **stringified), item(POEM, "b", reference_answer=as_reference)], None)
    assert [metrics(r) for r in results] == [{"detectable_format:title": 1.0}, {"punctuation:no_comma": 1.0}]


def test_default_constraints_apply_only_to_rows_without_their_own():
    defaults = json.dumps({"instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]})
    handler = handler_for(FORMAT_DEFAULT_CONSTRAINTS=defaults)
    plain, own = handler(
        [
            item("the sea is calm and the sky is grey today.", "plain"),
            item(POEM, "own", **ifeval(("detectable_format:title", {}))),
        ],
        None,
    )
    assert metrics(plain) == {"change_case:english_lowercase": 1.0}
    assert metrics(own) == {"detectable_format:title": 1.0}


def test_a_row_without_constraints_and_no_default_scores_zero():
    [result] = handler_for()([item(POEM)], None)
    assert result["aggregate_reward_score"] == 0.0
    assert metrics(result) == {"no_constraints": 1.0}


def test_an_empty_response_follows_no_ifeval_instruction_but_structured_checks_still_run():
    constraints = ifeval(("punctuation:no_comma", {}))
    constraints["constraints"] = [{"type": "length", "unit": "words", "max": 10}]
    [result] = handler_for()([item("   ", **constraints)], None)
    assert metrics(result) == {"punctuation:no_comma": 0.0, "length": 1.0}


def test_repeat_prompt_without_kwargs_uses_the_rows_last_user_prompt():
    constraints = ifeval(("combination:repeat_prompt", {}))
    echoed, ignored = handler_for()(
        [
            item(PROMPT + "\nThe sea is wide.", "echo", **constraints),
            item("The sea is wide.", "no-echo", **constraints),
        ],
        None,
    )
    assert echoed["aggregate_reward_score"] == 1.0 and ignored["aggregate_reward_score"] == 0.0


def test_nova_role_content_blocks_and_ifeval_entries_in_the_constraints_list():
    raw = item(
        "",
        role="nova_assistant",
        constraints=[
            {"instruction_id": "detectable_format:title"},
            {
                "instruction_id": "keywords:frequency",
                "kwargs": {"keyword": "sea", "frequency": 1, "relation": "at least"},
            },
            {"type": "tags_in_order", "tags": ["answer"], "id": "answer_tag"},
        ],
    )
    raw["messages"][-1]["content"] = [
        {"type": "text", "text": "<answer><<Sea>> "},
        {"type": "text", "text": "calm</answer>"},
    ]
    [result] = handler_for()([raw], None)
    assert metrics(result) == {"detectable_format:title": 1.0, "keywords:frequency": 1.0, "answer_tag": 1.0}


def test_a_check_that_raises_costs_only_its_constraint():
    def broken(response: str) -> bool:
        raise RuntimeError("checker bug")

    constraints = [Constraint(name="ok", check=lambda response: True), Constraint(name="broken", check=broken)]
    result = FormatGrader().grade_response("text", constraints)
    assert result.score == 0.5 and result.metrics == {"ok": 1.0, "broken": 0.0}
    assert "broken: check failed: RuntimeError: checker bug" in (result.reason or "")


@pytest.mark.parametrize(
    "env",
    [
        {"FORMAT_SCORING": "average"},
        {"FORMAT_LOOSE": "maybe"},
        {"FORMAT_DEFAULT_CONSTRAINTS": "{not json"},
        {"FORMAT_DEFAULT_CONSTRAINTS": '["punctuation:no_comma"]'},
        {"FORMAT_DEFAULT_CONSTRAINTS": '{"ids": []}'},
    ],
)
def test_a_misconfigured_deployment_fails_at_the_first_invocation(env):
    with pytest.raises(ValueError):
        build_format_grader(env)


def test_the_lambda_entry_point_reads_the_environment_once(monkeypatch):
    import graders.format_handler

    monkeypatch.setenv("FORMAT_SCORING", "all_or_nothing")
    monkeypatch.setenv(
        "FORMAT_DEFAULT_CONSTRAINTS", json.dumps(ifeval(("detectable_format:title", {}), ("punctuation:no_comma", {})))
    )
    handler = importlib.reload(graders.format_handler).handler
    assert handler([item(POEM, "a")], None)[0]["aggregate_reward_score"] == 1.0
    monkeypatch.setenv("FORMAT_SCORING", "fraction")  # read once: later changes do not apply
    assert handler([item("Title-less, with a comma", "b")], None)[0]["aggregate_reward_score"] == 0.0
    assert handler([item("<<Title>>, with a comma", "c")], None)[0]["aggregate_reward_score"] == 0.0


def test_the_composite_interface_grades_with_settings_from_the_environment():
    sample = parse_sample(item('Sure:\n"quoted"', **ifeval(("startend:quotation", {}))))
    result = build_format({"FORMAT_LOOSE": "true"})(sample)
    assert isinstance(result, Grade) and result.score == 1.0
    assert grade_safely(FormatGrader(), sample).score == 0.0
