"""The tool-call grader through its handler: where calls come from, value coercion, schemas, matching."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graders.tool_calls.grader import ToolSettings, best_assignment, same_value
from tests.support.grader_handlers import tools_handler_for as handler_for

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1},
            },
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
PARIS = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
ROME = {"name": "get_weather", "arguments": {"city": "Rome", "unit": "celsius"}}


def row(last: dict, reference: Any, tools: Any = None, where: str = "metadata") -> dict:
    raw: dict = {"id": "t", "messages": [{"role": "user", "content": "weather?"}, {"role": "assistant", **last}]}
    fields = {"reference_answer": reference, **({"tools": tools} if tools is not None else {})}
    if where == "metadata":
        raw["metadata"] = fields
    else:
        raw.update(fields)
    return raw


def openai_calls(*calls: dict) -> dict:
    return {
        "content": None,
        "tool_calls": [
            {
                "id": f"c{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
            }
            for i, c in enumerate(calls)
        ],
    }


def text(value: Any, fence: bool = False) -> dict:
    body = json.dumps(value)
    return {"content": f"Calling now:\n```json\n{body}\n```" if fence else body}


def grade(*raws: dict, env: dict | None = None) -> list[dict]:
    return handler_for(env or {})(list(raws), None)


def score(raw: dict, env: dict | None = None) -> float:
    return grade(raw, env=env)[0]["aggregate_reward_score"]


def checks(result: dict) -> dict[str, float]:
    return {m["name"]: m["value"] for m in result.get("metrics_list", [])}


REF = {"tool_calls": [PARIS]}


WRAPPED = {"type": "function", "function": {"name": "get_weather", "arguments": json.dumps(PARIS["arguments"])}}


@pytest.mark.parametrize(
    "last",
    [
        openai_calls(PARIS),
        text(PARIS),
        text([PARIS], fence=True),
        text({"tool_calls": [PARIS]}),
        {"content": f"Sure. {json.dumps(PARIS)} Done."},
        text(WRAPPED),
    ],
)
def test_calls_are_read_from_tool_calls_or_text(last: dict) -> None:
    assert score(row(last, REF, [WEATHER])) == 1.0


def test_reference_at_top_level_or_as_json_text() -> None:
    assert score(row(openai_calls(PARIS), REF, where="top")) == 1.0
    assert score(row(openai_calls(PARIS), json.dumps(REF))) == 1.0
    assert score(row(openai_calls(PARIS), [PARIS])) == 1.0


def test_values_coerced_sensibly_and_enum_case_per_schema() -> None:
    assert same_value(5, "5") and same_value("5.0", 5) and same_value(True, "true") and not same_value(1, True)
    enum = {"type": "string", "enum": ["celsius", "fahrenheit"]}
    assert same_value("celsius", "Celsius", enum) and not same_value("Paris", "paris")
    call = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "CELSIUS", "days": "3"}}
    ref = {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 3}}]}
    [res] = grade(row(openai_calls(call), ref, [WEATHER]))
    assert res["aggregate_reward_score"] == 1.0 and checks(res)["schema_valid"] == 1.0


def test_partial_credit_parts() -> None:
    wrong_city = {"name": "get_weather", "arguments": {"city": "Lyon", "unit": "celsius"}}
    [res] = grade(row(openai_calls(wrong_city), REF, [WEATHER]))
    assert 0 < res["aggregate_reward_score"] < 1
    assert checks(res)["name"] == 1.0 and checks(res)["argument_names"] == 1.0
    assert checks(res)["argument_values"] == 0.5
    missing_unit = {"name": "get_weather", "arguments": {"city": "Paris"}}
    assert score(row(openai_calls(missing_unit), REF, [WEATHER])) < 1
    bad_schema = {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "extra": 1}}
    [res] = grade(row(openai_calls(bad_schema), {"tool_calls": [bad_schema]}, [WEATHER]))
    assert checks(res)["schema_valid"] == 0.0 and res["aggregate_reward_score"] < 1
    wrong_name = {"name": "get_time", "arguments": {"city": "Paris"}}
    [res] = grade(row(openai_calls(wrong_name), REF, [WEATHER, TIME]))
    assert res["aggregate_reward_score"] == 0.0 and checks(res)["missing_calls"] == 1.0


def test_order_insensitive_by_default_and_ordered_when_configured() -> None:
    ref = {"tool_calls": [PARIS, ROME]}
    swapped = row(openai_calls(ROME, PARIS), ref, [WEATHER])
    assert score(swapped) == 1.0
    # Paired by position each call has the wrong city: a wrong call, worth half its partial credit (0.8).
    assert score(swapped, env={"TOOLS_ORDERED": "true"}) == pytest.approx(0.4)


def test_a_wrong_value_makes_a_wrong_call_and_partial_credit_stays_ordered() -> None:
    """Right call > right name and argument names with a wrong value > every value wrong > right name only >
    wrong name; a wrong call never earns more than TOOLS_WRONG_CALL_CREDIT (0.5)."""
    ref = {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 3}}]}

    def call(**arguments: Any) -> dict:
        return openai_calls({"name": "get_weather", "arguments": arguments})

    right = score(row(call(city="Paris", unit="celsius", days=3), ref, [WEATHER]))
    one_wrong = score(row(call(city="Lyon", unit="celsius", days=3), ref, [WEATHER]))
    all_wrong = score(row(call(city="Lyon", unit="fahrenheit", days=5), ref, [WEATHER]))
    name_only = score(row(call(), ref, [WEATHER]))
    wrong_name = score(row(openai_calls({"name": "get_time", "arguments": {"city": "Paris"}}), ref, [WEATHER, TIME]))
    assert right == 1.0
    assert 0.5 >= one_wrong > all_wrong > name_only > wrong_name == 0.0
    assert one_wrong == pytest.approx(0.5 * (0.2 + 0.3 + 0.4 * 2 / 3 + 0.1))
    assert all_wrong == pytest.approx(0.5 * (0.2 + 0.3 + 0.1))
    assert name_only == pytest.approx(0.5 * 0.2)  # no arguments: the schema's required city is missing too
    # An argument the reference does not have is a different call as well, even with every reference value right.
    extra = score(row(call(city="Paris", unit="celsius", days=3, hours=2), {"tool_calls": [PARIS]}))
    assert extra <= 0.5
    [res] = grade(row(call(city="Lyon", unit="celsius", days=3), ref, [WEATHER]))
    assert checks(res)["right_calls"] == 0.0 and checks(res)["argument_values"] == pytest.approx(2 / 3)
    [res] = grade(row(call(city="Paris", unit="celsius", days=3), ref, [WEATHER]))
    assert checks(res)["right_calls"] == 1.0


def test_wrong_call_credit_is_a_setting() -> None:
    wrong_city = row(openai_calls({"name": "get_weather", "arguments": {"city": "Lyon", "unit": "celsius"}}), REF)
    assert score(wrong_city, env={"TOOLS_WRONG_CALL_CREDIT": "1"}) == pytest.approx(0.8)  # additive credit
    assert score(wrong_city, env={"TOOLS_WRONG_CALL_CREDIT": "0"}) == 0.0
    assert score(wrong_city) == pytest.approx(0.4)
    for bad in ("2", "x"):
        with pytest.raises(ValueError):
            ToolSettings.from_environment({"TOOLS_WRONG_CALL_CREDIT": bad})


def test_missing_and_extra_calls_cost() -> None:
    ref = {"tool_calls": [PARIS, ROME]}
    [one] = grade(row(openai_calls(PARIS), ref, [WEATHER]))
    assert one["aggregate_reward_score"] == 0.5 and checks(one)["missing_calls"] == 1.0
    [three] = grade(row(openai_calls(PARIS, ROME, PARIS), ref, [WEATHER]))
    assert three["aggregate_reward_score"] == pytest.approx(2 / 3) and checks(three)["extra_calls"] == 1.0
    [none] = grade(row({"content": "It is sunny."}, ref, [WEATHER]))
    assert none["aggregate_reward_score"] == 0.0 and checks(none)["calls_found"] == 0.0
    assert score(row({"content": "No tool needed."}, {"tool_calls": []})) == 1.0
    assert score(row(openai_calls(PARIS), {"tool_calls": []})) == 0.0


def test_optimal_assignment_beats_greedy() -> None:
    # Greedy would pair row 0 with column 0 (0.9) and leave row 1 with 0.1; the best total is 0.8 + 0.8.
    total, pairs = best_assignment([[0.9, 0.8], [0.8, 0.1]])
    assert total == pytest.approx(1.6) and sorted(pairs) == [(0, 1), (1, 0)]


def test_malformed_answers_and_rows_score_zero_without_raising() -> None:
    results = grade(
        row({"content": "```json\n{not json\n```"}, REF, [WEATHER]),
        row(
            {
                "content": None,
                "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": "{broken"}}],
            },
            REF,
            [WEATHER],
        ),
        row(openai_calls(PARIS), "no reference"),
        row(openai_calls(PARIS), REF, tools="nope"),
        {"id": "t", "messages": "x"},
    )
    assert [r["aggregate_reward_score"] for r in results][:1] == [0.0]
    assert results[1]["aggregate_reward_score"] < 1 and checks(results[1])["schema_valid"] == 0.0
    assert all(r["aggregate_reward_score"] == 0.0 for r in results[2:])


def test_settings() -> None:
    assert (
        ToolSettings.from_environment(
            {"TOOLS_WEIGHTS": "name=1,argument_names=0,argument_values=0,schema_valid=0"}
        ).weights["name"]
        == 1.0
    )
    with pytest.raises(ValueError):
        ToolSettings.from_environment({"TOOLS_WEIGHTS": "speed=1"})
    with pytest.raises(ValueError):
        ToolSettings.from_environment({"TOOLS_ORDERED": "maybe"})
