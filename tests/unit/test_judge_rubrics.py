"""Rubric templates: the built-in files render, row fields reach them, a custom rubric works."""

from __future__ import annotations

import re
from typing import Any

import pytest

from graders.contract import parse_sample
from graders.judge.prompt import build_request, rubric_fields
from graders.judge.rubric import BUILT_IN, MISSING_FIELD, RUBRICS_DIR, RubricError, load_rubric
from graders.judge.settings import JudgeSettings, settings_from_env

ROW: dict[str, Any] = {
    "id": "r1",
    "messages": [
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": "Alice: the invoice is late.\nBob: I will resend it on Monday.\nSummarise."},
        {"role": "assistant", "content": "Bob will resend the late invoice on Monday."},
    ],
    "metadata": {
        "reference_answer": "Bob promises to resend Alice's late invoice on Monday.",
        "context": [
            "Invoices are sent on the 1st.",
            {"title": "Policy", "text": "Late invoices are resent within 3 days."},
        ],
        "criteria": ["mentions who acts", "mentions when"],
        "domain": "accounts payable",
    },
}


def user_text(request) -> str:
    return request.kwargs["messages"][0]["content"][0]["text"]


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_built_in_rubric_renders_with_its_documented_scale(name):
    rubric = load_rubric(name)
    assert rubric.name == name and rubric.version == "1"
    assert rubric.scale_max > rubric.scale_min
    text = rubric.render(rubric_fields(parse_sample(ROW)))
    assert "{{" not in text and "}}" not in text
    # The file documents the scale it declares.
    assert f"Score scale (integer, {rubric.scale_min:g} to {rubric.scale_max:g})" in text
    assert "Bob: I will resend it on Monday." in text  # the conversation reaches every rubric


@pytest.mark.parametrize("name", BUILT_IN)
def test_rubric_files_are_versioned(name):
    assert (RUBRICS_DIR / f"{name}.v1.md").is_file()
    assert load_rubric(f"{name}.v1") == load_rubric(name)


def test_row_fields_reach_the_template():
    request = build_request(load_rubric("rag_faithfulness"), parse_sample(ROW), model_id="m", max_tokens=100)
    text = user_text(request)
    assert "Bob promises to resend Alice's late invoice on Monday." in text  # reference answer
    assert "[1] Invoices are sent on the 1st." in text  # context passages, numbered
    assert "[2] Policy: Late invoices are resent within 3 days." in text
    assert "- mentions who acts\n- mentions when" in text  # criteria as bullets
    reasoning = user_text(build_request(load_rubric("reasoning"), parse_sample(ROW), model_id="m", max_tokens=100))
    assert "accounts payable" in reasoning  # domain


def test_missing_fields_are_marked_as_absent():
    row = {"id": "x", "messages": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"}]}
    text = user_text(
        build_request(load_rubric("instruction_following"), parse_sample(row), model_id="m", max_tokens=100)
    )
    assert text.count(MISSING_FIELD) == 2  # reference answer and criteria


def test_reference_answer_object_and_its_fields():
    row = {
        "id": "x",
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        "reference_answer": {"answer": "42", "criteria": "shows the working"},
    }
    fields = rubric_fields(parse_sample(row))
    assert '"answer": "42"' in fields["reference_answer"]
    assert fields["criteria"] == "shows the working"  # Sample.field looks inside an object reference


def test_custom_rubric_from_configuration():
    text = (
        "---\nname: politeness\nscale_min: 1\nscale_max: 4\n---\n"
        "Grade politeness only. Expected tone: {{criteria}}. Task: {{prompt}}"
    )
    rubric = load_rubric("custom", text)
    assert (rubric.name, rubric.scale_min, rubric.scale_max) == ("politeness", 1, 4)
    request = build_request(rubric, parse_sample(ROW), model_id="m", max_tokens=100)
    body = user_text(request)
    assert "Expected tone: - mentions who acts\n- mentions when." in body
    assert "Task: Alice: the invoice is late." in body
    assert "integer from 1 to 4" in request.kwargs["system"][0]["text"]


def test_custom_rubric_without_front_matter_or_placeholders_gets_defaults_and_the_conversation():
    rubric = load_rubric("custom", "Reward answers that are concise and kind.")
    assert (rubric.scale_min, rubric.scale_max) == (0, 10)
    body = user_text(build_request(rubric, parse_sample(ROW), model_id="m", max_tokens=100))
    assert body.startswith("Reward answers that are concise and kind.")
    assert "Bob: I will resend it on Monday." in body


def test_field_text_is_not_expanded_as_a_placeholder():
    row = {**ROW, "metadata": {**ROW["metadata"], "criteria": "literal {{reference_answer}} stays"}}
    text = load_rubric("instruction_following").render(rubric_fields(parse_sample(row)))
    assert "literal {{reference_answer}} stays" in text


@pytest.mark.parametrize("name, custom", [("nope", None), ("custom", ""), ("custom", "   "), ("reasoning.v9", None)])
def test_bad_rubric_configuration_is_an_error(name, custom):
    with pytest.raises(RubricError):
        load_rubric(name, custom)


def test_custom_rubric_with_an_inverted_scale_is_an_error():
    with pytest.raises(RubricError):
        load_rubric("custom", "---\nscale_min: 5\nscale_max: 1\n---\nGrade it.")


def test_settings_from_environment():
    settings = settings_from_env(
        {
            "JUDGE_MODEL_ID": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "JUDGE_RUBRIC": "custom",
            "JUDGE_CUSTOM_RUBRIC": "Grade it.",
            "JUDGE_MAX_CONCURRENCY": "16",
            "JUDGE_INJECTION_PENALTY": "0.5",
        }
    )
    assert settings == JudgeSettings(
        model_id="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        rubric="custom",
        custom_rubric="Grade it.",
        max_concurrency=16,
        injection_penalty=0.5,
    )
    assert settings_from_env({}).model_id == "openai.gpt-oss-120b-1:0"
    assert settings_from_env({}).max_concurrency == 32  # the catalogue default, as the configuration deploys
    for bad in ({"JUDGE_MAX_CONCURRENCY": "many"}, {"JUDGE_MAX_CONCURRENCY": "0"}, {"JUDGE_INJECTION_PENALTY": "2"}):
        with pytest.raises(ValueError):
            settings_from_env(bad)


def test_rubric_files_use_only_known_placeholders():
    from graders.judge.rubric import PLACEHOLDERS

    for path in RUBRICS_DIR.glob("*.md"):
        used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", path.read_text()))
        assert used <= set(PLACEHOLDERS), path.name
