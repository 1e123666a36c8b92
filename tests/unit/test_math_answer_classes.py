"""Issue 17: each class of final answer, through the math handler, in long chain-of-thought responses."""

from __future__ import annotations

from typing import Any

import pytest

from graders.contract import parse_sample
from graders.math_answer.grader import MathGrader
from graders.math_answer.numeric import Tolerance
from graders.math_answer.settings import MathSettings
from graders.math_handler import handler

WORK = (
    "Let me set up the problem carefully. We are told that the quantity doubles every step and that "
    "after 3 steps we have $8a$. Dividing both sides by $8$ gives $a = 1$, and substituting back into "
    "the first relation $2a + b = 7$ gives $b = 5$. We check: $2(1) + 5 = 7$, which holds.\n\n"
)


def score(response: str, reference: Any, **raw: Any) -> float:
    item = {
        "id": "q",
        "messages": [{"role": "user", "content": "Solve."}, {"role": "assistant", "content": response}],
        "metadata": {"reference_answer": reference},
        **raw,
    }
    [result] = handler([item], None)
    return result["aggregate_reward_score"]


def right(response: str, reference: Any) -> bool:
    return score(response, reference) >= 0.5


# 1. No marker: never a number out of a larger expression
@pytest.mark.parametrize(
    "ending, reference, expected",
    [
        ("So the ratio of the areas is $\\frac{10}{9}$.", "\\frac{10}{9}", True),
        ("So the ratio of the areas is $\\frac{10}{9}$.", "9", False),
        ("Hence the side length is $16\\sqrt{3}$.", "3", False),
        ("Hence the side length is $16\\sqrt{3}$.", "16\\sqrt{3}", True),
        ("So the solution set is $(2,\\infty)$.", "\\infty", False),
        ("So the solution set is $(2,\\infty)$.", "(2,\\infty)", True),
        ("So the range is $[0,1)$.", "1", False),
        ("Therefore $x \\geq 5$.", "5", False),
        ("Thus the golden ratio is $\\frac{1+\\sqrt{5}}{2}$.", "2", False),
        ("The clock then shows 11:21.", "21", False),
        ("The clock then shows 11:21.", "11:21", True),
        ("The matrix is $\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}$.", "4", False),
    ],
)
def test_unmarked_answer_is_the_last_complete_expression(ending, reference, expected):
    assert right(WORK + ending, reference) is expected


# 2. Answer conventions
@pytest.mark.parametrize(
    "response, reference, expected",
    [
        (WORK + "So the number of ways is 42.\n\n# Answer\n\n42", "42", True),
        (WORK + "# Answer\n\n\\frac{5}{24}", "\\frac{5}{24}", True),
        (WORK + "Final Answer: The final answer is $\\frac{5}{24}$. I hope it is correct.", "\\frac{5}{24}", True),
        (WORK + "Final Answer: The final answer is $7$. I hope it is correct.", "5", False),
        (WORK + "**Answer:** $b = 5$", "5", True),
        (WORK + "Answer: 5", "5", True),
        (WORK + "Our answer is correct. Since $b = 5$, we get $a + b = 6$.", "6", True),
        (
            WORK + "So our answer is $p=\\frac{5}{24}$. But wait, we must exclude the case $q=0$, so recounting "
            "gives $p = \\frac{1}{6}$.",
            "\\frac{1}{6}",
            True,
        ),
        (
            WORK + "So our answer is $p=\\frac{5}{24}$. But wait, we must exclude the case $q=0$, so recounting "
            "gives $p = \\frac{1}{6}$.",
            "\\frac{5}{24}",
            False,
        ),
    ],
)
def test_answer_conventions(response, reference, expected):
    assert right(response, reference) is expected


# 3. Text and letter answers
@pytest.mark.parametrize(
    "ending, reference, expected",
    [
        ("Comparing the options, the answer is (B).", "B", True),
        ("Comparing the options, the answer is $E$.", "E", True),
        ("Comparing the options, the answer is $\\textbf{(C)}$.", "C", True),
        ("Comparing the options, the answer is $\\textbf{(C)}$.", "D", False),
        ("So he is facing $\\boxed{\\text{east}}$.", "\\text{east}", True),
        ("So he is facing $\\boxed{\\text{east}}$.", "west", False),
        ("The sum of two odd numbers is even, so the answer is odd.", "odd", True),
        ("Therefore the answer is yes.", "yes", True),
        ("Therefore the answer is five.", "5", True),
        ("Therefore the answer is five.", "6", False),
        ("The only solution is $\\boxed{f(y)=y}$.", "f(y)=y", True),
    ],
)
def test_text_and_letter_answers(ending, reference, expected):
    assert right(WORK + ending, reference) is expected


# 4. Number formats
@pytest.mark.parametrize(
    "ending, reference, expected",
    [
        ("In total the town has $\\boxed{1 000}$ residents.", "1000", True),
        ("The count is $\\boxed{10,\\!080}$.", "10080", True),
        ("The count is $\\boxed{32,\\! 349}$.", "32349", True),
        ("The count is $\\boxed{32,\\! 349}$.", "349", False),
        ("The probability is $\\boxed{.4}$.", "0.4", True),
        ("So the ratio is $\\boxed{3:2}$.", "3:2", True),
        ("The meeting ends at 11:21.", "11:21", True),
        ("In total he pays $1 250 for the chairs.", "1250", True),
    ],
)
def test_number_formats(ending, reference, expected):
    assert right(WORK + ending, reference) is expected


# 5. Equations and relations
@pytest.mark.parametrize(
    "ending, reference, expected",
    [
        ("The plane is $\\boxed{34x+45y-20z+100=0}$.", "-34x-45y+20z-100=0", True),
        ("The plane is $\\boxed{34x+45y-20z+99=0}$.", "-34x-45y+20z-100=0", False),
        ("The line is $\\boxed{y = 2x + 1}$.", "y=2x+1", True),
        ("Solving, $\\boxed{x = 3}$.", "3", True),
        ("Solving, $\\boxed{x = 3}$.", "4", False),
        ("So $24 + 60 = 84$.", "84", True),
    ],
)
def test_equations_and_relations(ending, reference, expected):
    assert right(WORK + ending, reference) is expected


# 6. Intervals and sets
@pytest.mark.parametrize(
    "ending, reference, expected",
    [
        ("So $x$ lies in $\\boxed{[0,9)}$.", "[0,9)", True),
        ("So $x$ lies in $\\boxed{(0,9)}$.", "[0,9)", False),
        ("The roots are $\\boxed{5, -5}$.", "\\pm 5", True),
        ("The roots are $x = \\boxed{5}$ and $x = \\boxed{-5}$.", "\\pm 5", True),
        ("The roots are $\\boxed{\\{1, 2\\}}$.", "\\{2, 1\\}", True),
    ],
)
def test_intervals_and_sets(ending, reference, expected):
    assert right(WORK + ending, reference) is expected


# 7. Boxes: steps are not candidates, alternatives are hedges
def test_step_boxes_followed_by_a_final_box_are_not_competing():
    response = (
        "Step 1: the first part gives $\\boxed{12}$ apples.\n\nStep 2: adding the second part, "
        "$12 + 24 = \\boxed{36}$.\n\nFinal answer: $\\boxed{36}$"
    )
    assert score(response, "36") == 1.0


@pytest.mark.parametrize(
    "ending, reference",
    [
        ("So the answer is $\\boxed{6}$ or $\\boxed{7}$.", "6"),
        ("It could be $\\boxed{6}$ or maybe $\\boxed{7}$.", "7"),
        ("The answer is $\\boxed{1, 2, 3}$.", "2"),
        ("The answer is $\\boxed{\\pm 3}$.", "3"),
    ],
)
def test_genuine_alternatives_stay_hedges(ending, reference):
    assert score(WORK + ending, reference) < 0.5


# References, tolerance
@pytest.mark.parametrize(
    "raw",
    [
        {"metadata": {"reference_answer": None, "ground_truth": "42"}},
        {"metadata": {"expectedAnswer": "42"}},
        {"metadata": {"reference_answer": {"text": "42"}}},
        {"metadata": {"reference_answer": {"ground_truth": None, "expectedAnswer": "42"}}},
    ],
)
def test_references_under_aws_sample_keys(raw):
    item = {
        "id": "q",
        "messages": [{"role": "user", "content": "?"}, {"role": "assistant", "content": "#### 42"}],
        **raw,
    }
    [result] = handler([item], None)
    assert result["aggregate_reward_score"] == 1.0


def test_tolerance_is_opt_in_and_read_from_the_environment(monkeypatch):
    sample = parse_sample(
        {
            "id": "q",
            "messages": [{"role": "assistant", "content": "The answer is $1,234.40."}],
            "metadata": {"reference_answer": "1234"},
        }
    )
    assert MathGrader().grade(sample).score == 0.1  # exact by default
    assert MathGrader(tolerance=Tolerance(absolute=0.5)).grade(sample).score == 1.0
    assert MathGrader(tolerance=Tolerance(relative=1e-5)).grade(sample).score == 0.1
    monkeypatch.setenv("MATH_TOLERANCE_RELATIVE", "0.01")
    assert MathSettings.from_env() == MathSettings(tolerance_relative=0.01)
    assert MathGrader.from_env().grade(sample).score == 1.0
    assert MathSettings(tolerance_absolute=0.5).to_env() == {"MATH_TOLERANCE_ABSOLUTE": "0.5"}
    assert MathSettings.from_env({}).tolerance is None
    with pytest.raises(ValueError):
        MathSettings(tolerance_relative=0.5)
    with pytest.raises(ValueError):
        MathSettings.from_env({"MATH_TOLERANCE_ABSOLUTE": "lots"})
