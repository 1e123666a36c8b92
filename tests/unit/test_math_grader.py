"""The math grader through its Lambda handler, with Bedrock-shaped events."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from graders.contract import BatchError
from graders.handler_kit import LocalContext
from graders.math_handler import handler

CORRECT = 1.0


def item(
    response: Any,
    reference: Any = "84",
    *,
    sample_id: str = "s1",
    where: str = "metadata",
    role: str = "assistant",
    blocks: bool = False,
) -> dict:
    content = [{"type": "text", "text": response}] if blocks else response
    raw: dict = {
        "id": sample_id,
        "messages": [{"role": "user", "content": "Solve it."}, {"role": role, "content": content}],
    }
    if where == "metadata":
        raw["metadata"] = {"reference_answer": reference, "topic": "arithmetic"}
    elif where == "top":
        raw["reference_answer"] = reference
    return raw


def grade(response: Any, reference: Any = "84", **kwargs: Any) -> dict:
    [result] = handler([item(response, reference, **kwargs)], None)
    return result


def checks(result: dict) -> dict[str, float]:
    return {entry["name"]: entry["value"] for entry in result.get("metrics_list", [])}


def assert_correct(result: dict, *, score: float = CORRECT) -> None:
    assert result["aggregate_reward_score"] == score, result
    assert checks(result)["correct"] == 1.0


def assert_unrewarded(result: dict) -> None:
    assert result["aggregate_reward_score"] < 0.5, result
    assert checks(result).get("correct", 0.0) == 0.0


# ---------------------------------------------------------------- response shape
def test_response_echoes_ids_in_order_with_exact_entry_shape():
    event = [
        item("#### 84", sample_id="first"),
        item("#### 85", sample_id="second"),
        item("\\boxed{84}", sample_id="third"),
    ]
    results = handler(event, None)
    assert [r["id"] for r in results] == ["first", "second", "third"]
    assert [r["aggregate_reward_score"] for r in results] == [1.0, 0.1, 1.0]
    for result in results:
        assert set(result) == {"id", "aggregate_reward_score", "metrics_list"}
        assert isinstance(result["aggregate_reward_score"], float)
        for entry in result["metrics_list"]:
            assert set(entry) == {"name", "value", "type"}
            assert entry["type"] in {"Reward", "Metric"}
            assert isinstance(entry["value"], float)
        names = {entry["name"]: entry["type"] for entry in result["metrics_list"]}
        assert names["correct"] == "Reward"
        assert names["answer_found"] == names["format_ok"] == "Metric"


@pytest.mark.parametrize(
    "shape",
    [
        {"where": "top"},
        {"role": "nova_assistant"},
        {"blocks": True},
        {"where": "top", "role": "nova_assistant", "blocks": True},
    ],
)
def test_accepts_every_documented_item_shape(shape):
    assert_correct(grade("12 boxes of 7 cans is 84 cans.\n#### 84", "84", **shape))


def test_trajectories_wrapper_is_accepted():
    [result] = handler({"trajectories": [item("#### 84")]}, None)
    assert_correct(result)


def test_malformed_batch_is_a_clear_error():
    with pytest.raises(BatchError, match="JSON array"):
        handler({"messages": []}, None)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ({"id": "m", "metadata": {"reference_answer": "84"}}, "no messages"),
        ({"id": "m", "messages": [], "metadata": {"reference_answer": "84"}}, "no messages"),
        (
            {"id": "m", "messages": [{"role": "user", "content": "84"}], "metadata": {"reference_answer": "84"}},
            "last message is not the answer",
        ),
        ({"id": "m", "messages": "#### 84", "metadata": {"reference_answer": "84"}}, "messages not a list"),
        ({"id": "m", "messages": [{"role": "assistant", "content": "#### 84"}]}, "no reference"),
        (
            {
                "id": "m",
                "messages": [{"role": "assistant", "content": "#### 84"}],
                "metadata": {"reference_answer": True},
            },
            "boolean reference",
        ),
        (
            {
                "id": "m",
                "messages": [{"role": "assistant", "content": "#### 84"}],
                "metadata": {"reference_answer": {}},
            },
            "object reference without an answer",
        ),
        (
            {
                "id": "m",
                "messages": [{"role": "assistant", "content": "#### 84"}],
                "metadata": {"reference_answer": ""},
            },
            "empty reference",
        ),
        (
            {
                "id": "m",
                "messages": [{"role": "assistant", "content": "#### 84"}],
                "metadata": {"reference_answer": float("nan")},
            },
            "NaN reference",
        ),
        (
            {"id": "m", "messages": [{"role": "assistant", "content": None}], "metadata": {"reference_answer": "84"}},
            "content missing",
        ),
    ],
)
def test_malformed_items_score_zero_without_failing_the_batch(raw, reason, caplog):
    caplog.set_level("INFO", logger="graders")
    good = item("#### 84", sample_id="good")
    results = handler([raw, good, "not an object"], None)
    assert [r["id"] for r in results] == ["m", "good", ""]
    assert results[0]["aggregate_reward_score"] == 0.0, reason
    assert results[2]["aggregate_reward_score"] == 0.0
    assert_correct(results[1])
    assert "item m scored 0.000" in caplog.text


def test_items_left_when_time_runs_out_score_zero_with_their_ids():
    class AlmostOut(LocalContext):
        def get_remaining_time_in_millis(self) -> int:
            return 900  # less than the reserve kept for the response

    results = handler([item("#### 84", sample_id="a"), item("#### 84", sample_id="b")], AlmostOut())
    assert [r["id"] for r in results] == ["a", "b"]
    assert all(r["aggregate_reward_score"] == 0.0 for r in results)
    assert all(checks(r)["timed_out"] == 1.0 for r in results)


# ---------------------------------------------------------------- where the answer is
@pytest.mark.parametrize(
    "response",
    [
        "First 12 x 7 = 84.\n#### 84",
        "So the total is $\\boxed{84}$.",
        "\\boxed{\\frac{168}{2}}",
        "Nested braces: \\boxed{{84}}",
        "\\fbox{84}",
        "\\boxed 84",
        "<answer>84</answer>",
        "<answer>We get \\boxed{84}</answer>",
        "<answer>The answer is 84.</answer>",
        "<think>Is it \\boxed{80}? No.</think>The crate holds \\boxed{84} cans.",
        "The answer is 84.",
        "The final answer is: $84$. I hope it is correct.",
        "**Answer:** 84",
        "Final Answer:\n84",
        "The answer is 84, which is even.",
        "#### Step 1\nMultiply.\n#### Step 2\nAdd.\n#### 84",
        "The answer is 80. Wait, let me recheck: the answer is 84.",
        "\\boxed{84} and again \\boxed{84}",
    ],
)
def test_explicit_final_answers_earn_full_reward(response):
    result = grade(response, "84")
    assert_correct(result)
    assert checks(result)["format_ok"] == 1.0


@pytest.mark.parametrize(
    "response",
    [
        "12 boxes of 7 cans: 12 * 7 = 84",
        "So the crate holds 84 cans in total.",
    ],
)
def test_unmarked_answers_earn_less_but_still_count_as_correct(response):
    result = grade(response, "84")
    assert_correct(result, score=0.9)
    assert checks(result)["format_ok"] == 0.0


def test_no_answer_found_scores_zero():
    result = grade("I am not sure how to solve this.", "84")
    assert result["aggregate_reward_score"] == 0.0
    assert checks(result)["answer_found"] == 0.0


@pytest.mark.parametrize(
    "reference",
    [
        84,
        84.0,
        "84",
        "$84$",
        "\\boxed{84}",
        "12 * 7 = <<12*7=84>>84\n#### 84",
        "So the answer is $\\boxed{84}$.",
        ["84", "eighty-four"],
        {"answer": "84"},
        "84 cans",
    ],
)
def test_references_given_as_numbers_latex_text_or_solutions(reference):
    assert_correct(grade("#### 84", reference))


# ---------------------------------------------------------------- numeric equivalence
@pytest.mark.parametrize(
    "response, reference",
    [
        ("#### 84", "84.0"),
        ("#### 0.50", "1/2"),
        ("\\boxed{\\frac{3}{4}}", "0.75"),
        ("\\boxed{-\\dfrac{3}{4}}", "-0.75"),
        ("The answer is 3/4.", "\\frac{3}{4}"),
        ("The answer is 25%.", "0.25"),
        ("The answer is 25\\%.", "25"),
        ("The answer is 0.25.", "25%"),
        ("The answer is $1,234.", "1234"),
        ("\\boxed{1{,}234{,}567}", "1234567"),
        ("\\boxed{1\\,234}", "1234"),
        ("The answer is \\$18 per week.", "18"),
        ("#### 18 dollars", "$18.00"),
        ("The answer is 5 cm.", "5"),
        ("\\boxed{5\\text{ cm}^2}", "5"),
        ("\\boxed{30^\\circ}", "30"),
        ("The answer is -7.", "-7"),
        ("The answer is \u22127.", "-7"),
        ("\\boxed{(-7)}", "-7"),
        ("\\boxed{1.5 \\times 10^{6}}", "1500000"),
        ("The answer is 1.5e6.", "1,500,000"),
        ("\\boxed{2.5 \\cdot 10^{-3}}", "0.0025"),
        ("\\boxed{x = 3}", "3"),
        ("\\boxed{3}", "x = 3"),
        ("\\boxed{0.333333}", "\\frac{1}{3}"),
    ],
)
def test_numeric_forms_are_equivalent(response, reference):
    result = grade(response, reference)
    assert_correct(result)
    assert checks(result)["symbolic_check"] == 0.0  # decided by the fast path, without sympy


@pytest.mark.parametrize(
    "response, reference",
    [
        ("#### 85", "84"),
        ("#### 1,235", "1234"),
        ("\\boxed{0.3333}", "\\frac{1}{3}"),
        ("\\boxed{1000001}", "1000000"),
        ("The answer is 0.25.", "25"),
        ("\\boxed{-7}", "7"),
        ("\\boxed{3.54}", "3.5"),
    ],
)
def test_wrong_numbers_are_not_rewarded_but_keep_format_credit(response, reference):
    result = grade(response, reference)
    assert_unrewarded(result)
    assert result["aggregate_reward_score"] == 0.1
    assert checks(result)["format_ok"] == 1.0


def test_a_wrong_unmarked_answer_earns_nothing():
    assert grade("So the crate holds 85 cans.", "84")["aggregate_reward_score"] == 0.0


# ---------------------------------------------------------------- symbolic equivalence
@pytest.mark.parametrize(
    "response, reference",
    [
        ("\\boxed{\\dfrac{\\sqrt3}{2}}", "\\frac{\\sqrt{3}}{2}"),
        ("\\boxed{\\frac{1}{2}\\sqrt{3}}", "\\frac{\\sqrt{3}}{2}"),
        ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}"),
        ("\\boxed{\\frac{\\pi}{2}}", "\\pi/2"),
        ("\\boxed{\\pi \\cdot 2}", "2\\pi"),
        ("\\boxed{2^{10}}", "1024"),
        ("\\boxed{(x+1)^2}", "x^2+2x+1"),
        ("\\boxed{[0, \\infty)}", "[0,\\infty)"),
        ("\\boxed{(1, 2]}", "(1,2]"),
        ("\\boxed{\\{3, 2, 1\\}}", "\\{1,2,3\\}"),
        ("\\boxed{(3, 4)}", "(3,4)"),
        ("\\boxed{x = 3}", "x=3"),
        ("\\boxed{y = 2x + 1}", "y = 1 + 2x"),
        ("\\boxed{1, 2}", "x = 1 \\text{ or } x = 2"),
        ("\\boxed{\\text{Monday}}", "Monday"),
        ("The answer is (B).", "B"),
    ],
)
def test_latex_and_symbolic_forms_are_equivalent(response, reference):
    assert_correct(grade(response, reference))


@pytest.mark.parametrize(
    "response, reference, correct",
    [
        ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", 1.0),
        ("\\boxed{\\frac{3\\pi}{4}}", "\\frac{3}{4}\\pi", 1.0),
        ("\\boxed{3\\sqrt{2}}", "\\sqrt{8}", 0.0),
    ],
)
def test_constant_latex_is_decided_without_sympy(response, reference, correct):
    result = grade(response, reference)
    assert checks(result)["correct"] == correct
    assert checks(result)["symbolic_check"] == 0.0


@pytest.mark.parametrize(
    "response, reference",
    [
        ("\\boxed{\\frac{\\sqrt{3}}{3}}", "\\frac{\\sqrt{3}}{2}"),
        ("\\boxed{2\\pi}", "\\pi"),
        ("\\boxed{(x-1)^2}", "x^2+2x+1"),
        ("\\boxed{(0, \\infty)}", "[0,\\infty)"),
        ("\\boxed{(4, 3)}", "(3,4)"),
        ("\\boxed{\\{1, 2\\}}", "\\{1,2,3\\}"),
        ("\\boxed{x = 4}", "x=3"),
        ("\\boxed{\\text{Tuesday}}", "Monday"),
        ("The answer is (C).", "B"),
    ],
)
def test_different_latex_answers_are_not_rewarded(response, reference):
    assert_unrewarded(grade(response, reference))


# ---------------------------------------------------------------- hedging and hostile answers
HOSTILE = [
    ("\\boxed{9^{9^{9^{9}}}}", "42"),
    ("The answer is 9^9^9^9", "42"),
    ("The answer is 10**10**10.", "42"),
    ("\\boxed{10^{10^{10}}}", "10"),
    ("\\boxed{(10^{1000})^{1000}}", "10"),
    ("\\boxed{1000000!}", "1"),
    ("\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}", "2"),
    ("\\boxed{" + "\\frac{1}{" * 40 + "2" + "}" * 40 + "}", "2"),
    ("\\boxed{" + "(" * 500 + "1" + ")" * 500 + "}", "1"),
    ("\\boxed{(x+y+z)^{60}}", "(x+y+z)^{59}"),
    ("blah " * 1_000_000 + "\n#### 42", "42"),
    ("\\boxed{" * 150_000, "42"),
    ("\\boxed{42} " * 5_000, "42"),
    (" ".join(f"\\boxed{{{i}}}" for i in range(1, 2_001)), "42"),
    ("Maybe \\boxed{3}, or maybe \\boxed{4}.", "3"),
    ("\\boxed{3} \\boxed{4}", "4"),
    ("<answer>3</answer> <answer>4</answer>", "4"),
    ("The answer is 1, 2, 3, 4 or 5.", "3"),
    ("\\boxed{1, 2, 3, 4, 5}", "3"),
    ("\\boxed{3 \\text{ or } 4}", "4"),
    ("It is either 4 or 5.", "5"),
    ("#### 3\n#### 4", "4"),
    ("<answer>" * 20_000, "42"),
    ("\\boxed{3 \\text{(or 4)}}", "3"),
    ("\\boxed{3 \\text{ (maybe 4)}}", "3"),
    ("The answer is 3 (or 4).", "4"),
]


@pytest.mark.parametrize("response, reference", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_answers_are_never_rewarded(response, reference):
    result = grade(response, reference)
    assert_unrewarded(result)
    assert result["aggregate_reward_score"] == 0.0


def test_hostile_answers_are_unrewarded_off_the_main_thread_too():
    event = [item(response, reference, sample_id=str(i)) for i, (response, reference) in enumerate(HOSTILE)]
    event.append(item("\\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt3}{2}", sample_id="fine"))
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["results"] = handler(event, None)
        except BaseException as exc:  # the test reports it below
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=120)
    assert "error" not in outcome
    results = outcome["results"]
    assert [r["id"] for r in results] == [str(i) for i in range(len(HOSTILE))] + ["fine"]
    for result in results[:-1]:
        assert result["aggregate_reward_score"] == 0.0, result
    assert_correct(results[-1])


def test_a_list_is_not_a_hedge_when_the_reference_is_a_list():
    assert_correct(grade("The answers are 2 and 3.", "3, 2"))
    assert_correct(grade("\\boxed{1, 2, 3}", "\\{1, 2, 3\\}"))


@pytest.mark.parametrize(
    "response, reference",
    [
        ("So $x = \\boxed{5}$ or $x = \\boxed{-5}$.", "\\pm 5"),
        ("\\boxed{5, -5}", "\\pm 5"),
        ("The roots are \\boxed{3} and \\boxed{4}.", "3, 4"),
    ],
)
def test_several_boxes_that_together_are_the_answer_are_right(response, reference):
    result = grade(response, reference)
    assert_correct(result)
    assert checks(result)["hedged"] == 0.0


def test_matrix_rows_survive_clean_up():
    assert_correct(grade("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"))


def test_naming_two_unknowns_is_not_a_hedge():
    result = grade("\\boxed{x = 3, y = 4}", "x = 3, y = 4")
    assert_correct(result)
    assert checks(result)["hedged"] == 0.0


@pytest.mark.parametrize("response", ["The answer is 1, 2, 3, 4 or 5.", "\\boxed{3} or \\boxed{4}"])
def test_hedging_is_reported_in_metrics(response):
    result = grade(response, "3")
    assert checks(result)["hedged"] == 1.0
    assert checks(result)["answer_found"] == 1.0
    assert checks(result)["format_ok"] == 0.0


def test_an_answer_too_large_to_check_is_reported_unverifiable():
    result = grade("\\boxed{9^{9^{9^{9}}}}", "42")
    assert checks(result)["unverifiable"] == 1.0
    assert checks(result)["format_ok"] == 0.0


# ---------------------------------------------------------------- hedges hidden in asides
@pytest.mark.parametrize(
    "response, reference",
    [
        ("\\boxed{3 \\text{(or 4)}}", "3"),
        ("\\boxed{3 \\text{(or 4)}}", "4"),
        ("\\boxed{3 \\text{ (maybe 4)}}", "3"),
        ("The answer is 3 (or 4).", "4"),
        ("The answer is 3 (or 4).", "3"),
        ("\\boxed{3 \\text{ (perhaps 4)}}", "3"),
        ("\\boxed{3 \\text{ (possibly 4)}}", "3"),
        ("\\boxed{3 \\text{ (alternatively 4)}}", "3"),
        ("\\boxed{\\text{either } 3}", "3"),
        ("\\boxed{3 \\text{ / } 4}", "3"),
        ("\\boxed{3 \\; (4)}", "3"),
        ("\\boxed{3 \\text{ 4}}", "3"),
        ("\\boxed{3 \\text{ (four)}}", "3"),
        ("\\boxed{x = 3 \\text{ (or } x = 4)}", "3"),
        ("\\boxed{\\frac{1}{2} \\text{ (or } \\frac{1}{3})}", "\\frac{1}{2}"),
        ("The answer is 3 [or 4].", "3"),
        ("The answer is 3 (4 if we count zero).", "3"),
        ("The answer is 3, but it could be 4.", "3"),
        ("The answer is 3 (maybe).", "3"),
        ("#### 3 (or 4)", "3"),
        ("<answer>3 (four)</answer>", "3"),
        ("The final answer is \\boxed{3} (or maybe 4).", "3"),
        ("So she has 3 (maybe 4) apples.", "4"),
    ],
)
def test_an_alternative_in_an_aside_is_a_hedge(response, reference):
    result = grade(response, reference)
    assert result["aggregate_reward_score"] == 0.0, result
    assert checks(result)["correct"] == 0.0
    assert checks(result)["hedged"] == 1.0


@pytest.mark.parametrize(
    "response, reference",
    [
        ("\\boxed{5 \\text{ cm}}", "5"),
        ("\\boxed{12\\text{ apples}}", "12"),
        ("\\boxed{\\text{(A)}}", "A"),
        ("\\boxed{(2, 3]}", "(2,3]"),
        ("\\boxed{x \\in (2, 3]}", "(2,3]"),
        ("\\boxed{(1, 2)}", "(1,2)"),
        ("\\boxed{\\{1, 2\\}}", "\\{1,2\\}"),
        ("The answer is 3 (three).", "3"),
        ("The answer is 42 (that is, forty-two).", "42"),
        ("\\boxed{42 \\text{ (that is, forty-two)}}", "42"),
        ("The answer is 0.5 (1/2).", "0.5"),
        ("\\boxed{\\frac{1}{2} \\text{ (or equivalently } 0.5)}", "0.5"),
        ("\\boxed{\\frac{\\pi}{2} \\text{ (about 1.57)}}", "\\pi/2"),
        ("\\boxed{25\\% \\text{ (0.25)}}", "25%"),
        ("\\boxed{2 (x+1)}", "2x+2"),
        ("\\boxed{x = 1 \\text{ or } x = 2}", "1, 2"),
        ("The answer is 6, since either way we get 6.", "6"),
        ("\\boxed{\\text{maybe}}", "maybe"),
    ],
)
def test_asides_that_restate_or_qualify_the_answer_are_not_hedges(response, reference):
    result = grade(response, reference)
    assert_correct(result)
    assert checks(result)["hedged"] == 0.0
