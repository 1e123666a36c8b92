"""The composite's own rules: weights, per-row selection, component failures, laziness.

The judge component is the real judge against the Bedrock runtime stand-in. The math and format
slots get small deterministic grade functions here, so each rule is checked in isolation; the real
math and format graders are exercised in ``test_composite_graders.py``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graders.composite import CompositeGrader, CompositeSettings, settings_from_env
from graders.contract import Deadline, Grade, Sample
from graders.judge.client import make_runtime_client
from graders.judge.grader import JudgeGrader
from graders.judge.settings import JudgeSettings
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, score_by_answer, standin_session

ROOT = Path(__file__).resolve().parents[2]


def contains_84(sample: Sample) -> Grade:
    return Grade(
        score=1.0 if "84" in sample.response else 0.0,
        metrics={"checked": 1.0},
        rewards={"answer_match": 1.0 if "84" in sample.response else 0.0},
    )


def ends_with_marker(sample: Sample) -> Grade:
    return Grade(score=1.0 if sample.response.rstrip().endswith("#### 84") else 0.5)


@pytest.fixture
def standin():
    # The stand-in judge: 9/10 for an answer mentioning 84, 2/10 otherwise.
    server = BedrockRuntimeStandin(Behaviour(responder=score_by_answer(lambda a: 9 if "84" in a else 2))).start()
    yield server
    server.stop()


def judge_builder(standin, **overrides):
    def build():
        settings = JudgeSettings(backoff_base_seconds=0.01, min_call_seconds=0.05, **overrides)
        client = make_runtime_client(settings, endpoint_url=standin.endpoint_url, session=standin_session())
        return JudgeGrader(client=client, settings=settings).grade_samples

    return build


def composite(standin, *, weights=None, defaults=("math", "format", "judge"), **builders) -> CompositeGrader:
    all_builders = {"math": lambda: contains_84, "format": lambda: ends_with_marker, "judge": judge_builder(standin)}
    all_builders.update(builders)
    settings = CompositeSettings(
        weights=weights or {"math": 0.5, "format": 0.3, "judge": 0.2}, default_graders=defaults
    )
    return CompositeGrader(settings=settings, builders=all_builders)


def row(answer: str, row_id: str = "r", **metadata) -> dict:
    return {
        "id": row_id,
        "messages": [
            {"role": "user", "content": "12 boxes of 7 cans. How many? End with '#### n'."},
            {"role": "assistant", "content": answer},
        ],
        "metadata": {"reference_answer": "84", **metadata},
    }


def entries(res: dict, kind: str) -> dict[str, float]:
    return {m["name"]: m["value"] for m in res.get("metrics_list", []) if m["type"] == kind}


def test_each_component_is_a_reward_entry_and_the_aggregate_is_their_weighted_mean(standin):
    [res] = composite(standin).grade_batch([row("12 x 7 = 84\n#### 84")], Deadline())
    assert entries(res, "Reward") == {"math": 1.0, "format": 1.0, "judge": 0.9}
    assert res["aggregate_reward_score"] == pytest.approx(0.5 * 1 + 0.3 * 1 + 0.2 * 0.9)
    metrics = entries(res, "Metric")
    assert metrics["math.checked"] == 1.0 and metrics["math.answer_match"] == 1.0  # component entries, prefixed
    assert metrics["judge.raw_score"] == 9 and metrics["judge.input_tokens"] > 0
    assert metrics["math.weight"] == pytest.approx(0.5)


def test_a_correct_compliant_answer_outscores_wrong_or_non_compliant_ones(standin):
    good, wrong, sloppy = composite(standin).grade_batch(
        [row("12 x 7 = 84\n#### 84", "good"), row("12 x 7 = 74\n#### 74", "wrong"), row("It is 84 cans.", "sloppy")],
        Deadline(),
    )
    assert good["aggregate_reward_score"] > sloppy["aggregate_reward_score"] > wrong["aggregate_reward_score"]


def test_weights_are_normalised_over_the_graders_that_apply(standin):
    grader = composite(standin, weights={"math": 2.0, "format": 1.0, "judge": 1.0}, defaults=("math", "judge"))
    [res] = grader.grade_batch([row("12 x 7 = 84")], Deadline())
    assert res["aggregate_reward_score"] == pytest.approx(2 / 3 * 1.0 + 1 / 3 * 0.9)
    metrics = entries(res, "Metric")
    assert metrics["math.weight"] == pytest.approx(2 / 3) and metrics["judge.weight"] == pytest.approx(1 / 3)
    assert "format" not in entries(res, "Reward")


def test_graders_without_weight_never_run_the_weighted_ones_grade_instead(standin):
    # One rule with IAM: a component of weight 0 is never run, even when a row (or the defaults) names
    # only such components; the weighted components grade the row instead.
    grader = composite(standin, weights={"math": 1.0, "judge": 0.0}, defaults=("format",))
    named_judge, by_default = grader.grade_batch([row("84", "j", graders=["judge"]), row("84", "d")], Deadline())
    assert entries(named_judge, "Reward") == {"math": 1.0} and entries(by_default, "Reward") == {"math": 1.0}
    assert standin.stats.requests == 0


def test_default_components_apply_only_where_the_row_carries_what_they_need(standin):
    needs = {
        "math": lambda s: s.field("reference_answer") is not None,
        "format": lambda s: s.field("instruction_id_list") is not None,
    }
    settings = CompositeSettings(weights={"math": 0.6, "format": 0.4}, default_graders=("math", "format"))
    grader = CompositeGrader(
        settings=settings, applies=needs, builders={"math": lambda: contains_84, "format": lambda: ends_with_marker}
    )
    prose = {
        "id": "p",
        "messages": [
            {"role": "user", "content": "Write about cans."},
            {"role": "assistant", "content": "Cans are great #### 84"},
        ],
        "instruction_id_list": ["x"],
        "reference_answer": None,
    }
    [res] = grader.grade_batch([prose], Deadline())
    # Only format applies (no reference): its weight is renormalised to 1, not capped at 0.4.
    assert entries(res, "Reward") == {"format": 1.0} and res["aggregate_reward_score"] == 1.0


def test_graders_with_zero_weight_are_not_run_when_others_apply(standin):
    grader = composite(standin, weights={"math": 1.0, "format": 0.0, "judge": 0.0})
    [res] = grader.grade_batch([row("84", graders=["math", "judge"])], Deadline())
    assert entries(res, "Reward") == {"math": 1.0}
    assert standin.stats.requests == 0  # no judge tokens spent on a component that cannot count


def test_rows_choose_their_graders_and_others_get_the_default(standin):
    grader = composite(standin, defaults=("math", "format"))
    judged_only, default, as_text, odd = grader.grade_batch(
        [
            row("84", "j", graders=["judge"]),
            row("84", "d"),
            row("84", "t", graders="math, judge"),
            row("84", "o", graders=["math", "spelling"]),
        ],
        Deadline(),
    )
    assert set(entries(judged_only, "Reward")) == {"judge"}
    assert judged_only["aggregate_reward_score"] == pytest.approx(0.9)
    assert set(entries(default, "Reward")) == {"math", "format"}
    assert set(entries(as_text, "Reward")) == {"math", "judge"}
    assert set(entries(odd, "Reward")) == {"math"}  # the unknown name is ignored (and logged)
    assert len(standin.calls) == 2  # only the rows that chose the judge were judged


def test_a_row_naming_no_known_grader_scores_zero_as_malformed(standin):
    [res] = composite(standin).grade_batch([row("84", graders=["spelling"])], Deadline())
    assert res["aggregate_reward_score"] == 0.0 and entries(res, "Metric")["malformed"] == 1.0


def test_a_component_that_cannot_be_built_scores_zero_and_the_item_is_still_graded(standin, caplog):
    def missing():
        raise ModuleNotFoundError("No module named 'graders.math_answer.grader'")

    with caplog.at_level("INFO", logger="graders"):
        [res] = composite(standin, math=missing).grade_batch([row("12 x 7 = 84\n#### 84")], Deadline())
    assert entries(res, "Reward") == {"math": 0.0, "format": 1.0, "judge": 0.9}
    assert entries(res, "Metric")["math.error"] == 1.0
    assert res["aggregate_reward_score"] == pytest.approx(0.3 + 0.2 * 0.9)
    assert "math grader unavailable: ModuleNotFoundError" in caplog.text


def test_a_component_raising_on_one_item_costs_only_that_component_on_that_item(standin):
    def fragile(sample: Sample) -> Grade:
        if "boom" in sample.response:
            raise ZeroDivisionError("division by zero")
        return Grade(score=1.0)

    boom, fine = composite(standin, format=lambda: fragile).grade_batch(
        [row("84 boom", "boom"), row("84", "fine")], Deadline()
    )
    assert entries(boom, "Reward")["format"] == 0.0 and entries(boom, "Metric")["format.error"] == 1.0
    assert entries(boom, "Reward")["math"] == 1.0
    assert entries(fine, "Reward")["format"] == 1.0


def test_a_judge_that_keeps_failing_scores_neutral_for_the_judge_only(standin):
    standin.reset(Behaviour(throttle_rate=1.0))
    grader = composite(standin, judge=judge_builder(standin, max_attempts=2))
    [res] = grader.grade_batch([row("12 x 7 = 84\n#### 84")], Deadline())
    assert entries(res, "Reward") == {"math": 1.0, "format": 1.0, "judge": 0.5}
    assert entries(res, "Metric")["judge.judge_error"] == 1.0
    assert res["aggregate_reward_score"] == pytest.approx(0.9)


def test_components_past_the_deadline_score_zero(standin):
    # Under the contract's 1 s response reserve, the deadline has already passed.
    [res] = composite(standin).grade_batch([row("84\n#### 84")], Deadline(budget_seconds=0.5))
    assert res["aggregate_reward_score"] == 0.0
    metrics = entries(res, "Metric")
    assert metrics["math.timed_out"] == 1.0 and metrics["format.timed_out"] == 1.0
    assert metrics.get("judge.timed_out") == 1.0 or metrics.get("judge.judge_error") == 1.0
    assert standin.stats.requests == 0


def test_the_wait_for_a_judge_that_overruns_ends_at_the_deadline(standin):
    released = threading.Event()

    def stuck_judge(samples, deadline):  # ignores its deadline, as a hung call would
        released.wait(10)
        return [Grade(1.0) for _ in samples]

    deadline = Deadline(budget_seconds=1.6)  # 0.6 s after the response reserve
    try:
        [res] = composite(standin, judge=lambda: stuck_judge).grade_batch([row("84\n#### 84")], deadline)
        left = deadline.remaining()
    finally:
        released.set()
    assert entries(res, "Reward") == {"math": 1.0, "format": 1.0, "judge": 0.0}
    assert entries(res, "Metric")["judge.timed_out"] == 1.0
    # It returned at the deadline, not into the 1 s reserve kept for sending the response.
    assert left > -0.5


def test_grades_the_judge_has_at_its_deadline_reach_the_batch(standin):
    def judge_using_all_its_time(samples, deadline):  # returns what it has when its deadline passes
        while not deadline.expired():
            time.sleep(0.01)
        return [Grade(1.0) for _ in samples]

    [res] = composite(standin, judge=lambda: judge_using_all_its_time).grade_batch(
        [row("84\n#### 84")], Deadline(budget_seconds=1.6)
    )
    # The judge's deadline comes before the batch's, so its grades are collected in time.
    assert entries(res, "Reward") == {"math": 1.0, "format": 1.0, "judge": 1.0}


def test_components_are_built_once_and_only_when_a_row_needs_them(standin):
    built = []

    def counting(name, fn):
        def build():
            built.append(name)
            return fn

        return build

    grader = composite(
        standin,
        defaults=("math",),
        math=counting("math", contains_84),
        judge=counting("judge", lambda samples, deadline: [Grade(1.0) for _ in samples]),
    )
    grader.grade_batch([row("84"), row("84")], Deadline())
    grader.grade_batch([row("84")], Deadline())
    assert built == ["math"]
    grader.grade_batch([row("84", graders=["judge"])], Deadline())
    assert built == ["math", "judge"]


def test_settings_from_environment():
    settings = settings_from_env(
        {
            "COMPOSITE_WEIGHTS": '{"math": 0.5, "format": 0.3, "judge": 0.2}',
            "COMPOSITE_DEFAULT_GRADERS": '["math", "judge"]',
        }
    )
    assert settings.weights == {"math": 0.5, "format": 0.3, "judge": 0.2}
    assert settings.default_graders == ("math", "judge")
    assert settings_from_env({}).default_graders == ("math", "format")
    for bad in (
        {"COMPOSITE_WEIGHTS": "{"},
        {"COMPOSITE_WEIGHTS": '{"style": 1}'},
        {"COMPOSITE_WEIGHTS": '{"math": -1}'},
        {"COMPOSITE_WEIGHTS": "[1]"},
        {"COMPOSITE_DEFAULT_GRADERS": "[]"},
        {"COMPOSITE_DEFAULT_GRADERS": '["spelling"]'},
        {"COMPOSITE_DEFAULT_GRADERS": '"math"'},
    ):
        with pytest.raises(ValueError):
            settings_from_env(bad)


def test_importing_the_composite_loads_no_component():
    code = (
        "import sys; import graders.composite_handler; "
        "heavy = [m for m in ('boto3', 'math_verify', 'sympy', 'langdetect', 'graders.judge.client', "
        "'graders.math_answer', 'graders.format_rules') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'lambda'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
