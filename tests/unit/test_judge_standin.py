"""The judge against a local Bedrock runtime stand-in, through a real boto3 ``bedrock-runtime`` client."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from graders.contract import Deadline
from graders.judge.client import RetryPolicy, make_runtime_client, shared_random
from graders.judge.grader import JudgeGrader
from graders.judge.settings import JudgeSettings

PROFILE_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"  # an inference-profile id
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, fixed_verdict, standin_session

FAST_RETRIES = {"backoff_base_seconds": 0.01, "backoff_cap_seconds": 0.05, "min_call_seconds": 0.05}


@pytest.fixture
def standin():
    server = BedrockRuntimeStandin().start()
    yield server
    server.stop()


def make_judge(standin: BedrockRuntimeStandin, *, sleep=None, **overrides) -> JudgeGrader:
    settings = JudgeSettings(**{**FAST_RETRIES, **overrides})
    client = make_runtime_client(settings, endpoint_url=standin.endpoint_url, session=standin_session())
    kwargs = {"sleep": sleep} if sleep else {}
    return JudgeGrader(client=client, settings=settings, seed=7, **kwargs)


def items(count: int, answer: str = "The total is 84 cans.") -> list[dict]:
    return [
        {
            "id": f"item-{i}",
            "messages": [
                {"role": "user", "content": f"Question {i}: 12 boxes of 7 cans, how many cans?"},
                {"role": "assistant", "content": answer},
            ],
            "metadata": {"reference_answer": "84"},
        }
        for i in range(count)
    ]


def metrics_of(res: dict) -> dict[str, float]:
    return {entry["name"]: entry["value"] for entry in res.get("metrics_list", [])}


def assert_well_formed(results: list[dict], batch: list) -> None:
    assert [r["id"] for r in results] == [b.get("id", "") if isinstance(b, dict) else "" for b in batch]
    for res in results:
        assert set(res) <= {"id", "aggregate_reward_score", "metrics_list"}
        assert 0.0 <= res["aggregate_reward_score"] <= 1.0
        for entry in res.get("metrics_list", []):
            assert set(entry) == {"name", "value", "type"} and entry["type"] in ("Reward", "Metric")


def test_every_item_is_judged_concurrently_with_latency(standin):
    standin.reset(Behaviour(latency_seconds=0.05, responder=fixed_verdict(8)))
    batch = items(16)
    results = make_judge(standin, max_concurrency=8).grade_batch(batch, Deadline())
    assert_well_formed(results, batch)
    assert [r["aggregate_reward_score"] for r in results] == [0.8] * 16  # 8 on the 0-10 scale
    assert standin.stats.requests == 16
    # Calls overlapped at the stand-in, and never more of them than the configured concurrency.
    assert 1 < standin.stats.max_in_flight <= 8
    # Each item's token metrics are what the service reported for its call.
    first = metrics_of(results[0])
    assert first["output_tokens"] == len(json.dumps({"score": 8, "reason": "stand-in verdict"}).split())
    assert first["input_tokens"] > 100 and first["calls"] == 1 and first["raw_score"] == 8


def test_requests_use_temperature_zero_the_configured_model_and_a_system_prompt(standin):
    make_judge(standin, model_id=PROFILE_ID, max_tokens=300).grade_batch(items(2), Deadline())
    assert len(standin.calls) == 2
    for call in standin.calls:
        assert call.model_id == PROFILE_ID
        assert call.body["inferenceConfig"] == {"temperature": 0.0, "maxTokens": 300}
        assert "untrusted data" in call.system_text
        assert call.headers["Authorization"].startswith("AWS4-HMAC-SHA256")


def test_throttled_calls_are_retried_until_every_item_is_judged(standin):
    standin.reset(Behaviour(throttle_rate=0.3, seed=11))
    batch = items(24)
    results = make_judge(standin, max_attempts=10).grade_batch(batch, Deadline())
    assert_well_formed(results, batch)
    assert all(r["aggregate_reward_score"] == 0.7 for r in results)
    throttles = standin.stats.throttles_served
    assert throttles > 0
    assert sum(metrics_of(r)["throttled"] for r in results) == throttles
    assert standin.stats.requests == 24 + throttles


def test_server_errors_are_retried(standin):
    standin.reset(Behaviour(scripted=["unavailable", "internal"]))
    [res] = make_judge(standin).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.7
    assert metrics_of(res)["server_errors"] == 2 and metrics_of(res)["calls"] == 3
    assert standin.stats.requests == 3


def test_retries_back_off_exponentially_with_full_jitter(standin):
    standin.reset(Behaviour(scripted=["throttle"] * 4))
    sleeps: list[float] = []
    [res] = make_judge(standin, sleep=sleeps.append, backoff_base_seconds=0.2, backoff_cap_seconds=1.0).grade_batch(
        items(1), Deadline()
    )
    assert res["aggregate_reward_score"] == 0.7
    assert len(sleeps) == 4
    for retry, delay in enumerate(sleeps, start=1):
        assert 0.0 <= delay <= min(1.0, 0.2 * 2 ** (retry - 1))
    policy = RetryPolicy(base_seconds=0.2, cap_seconds=1.0)
    draws = [policy.backoff(5, shared_random(seed)) for seed in range(200)]
    assert max(draws) <= 1.0 and min(draws) < 0.1 and len(set(draws)) > 150  # capped, jittered down to 0


def test_botocore_does_not_retry_on_its_own(standin):
    standin.reset(Behaviour(scripted=["throttle"]))
    [res] = make_judge(standin, max_attempts=1).grade_batch(items(1), Deadline())
    assert standin.stats.requests == 1
    assert res["aggregate_reward_score"] == 0.5  # neutral (judge.errorScore), not 0
    assert metrics_of(res)["judge_error"] == 1.0 and metrics_of(res)["neutral"] == 1.0


def test_endless_throttling_scores_neutral_with_the_reason(standin, caplog):
    standin.reset(Behaviour(throttle_rate=1.0))
    batch = items(3)
    with caplog.at_level("INFO", logger="graders"):
        results = make_judge(standin, max_attempts=3).grade_batch(batch, Deadline())
    assert_well_formed(results, batch)
    assert [r["aggregate_reward_score"] for r in results] == [0.5] * 3
    assert all(metrics_of(r)["throttled"] == 3 and metrics_of(r)["neutral"] == 1.0 for r in results)
    assert standin.stats.requests == 9
    assert "ThrottlingException" in caplog.text and "gave up after 3 attempts" in caplog.text


def test_an_unparseable_verdict_is_asked_for_once_more(standin):
    standin.reset(Behaviour(scripted=["unparseable"]))
    [res] = make_judge(standin).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.7
    assert metrics_of(res)["verdict_retries"] == 1 and standin.stats.requests == 2
    # The second ask is a fresh request with a new nonce.
    assert standin.calls[0].answer_tag != standin.calls[1].answer_tag


def test_a_verdict_unusable_twice_scores_zero_with_the_reason(standin, caplog):
    standin.reset(Behaviour(unparseable_rate=1.0))
    with caplog.at_level("INFO", logger="graders"):
        [res] = make_judge(standin).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.0
    assert metrics_of(res)["verdict_unusable"] == 1.0
    assert standin.stats.requests == 2
    assert "unusable verdict after 2 asks" in caplog.text


def test_a_non_retryable_error_is_not_retried(standin, caplog):
    standin.reset(Behaviour(scripted=["bad_request"]))
    with caplog.at_level("INFO", logger="graders"):
        [res] = make_judge(standin, structured_output=False).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.5 and standin.stats.requests == 1
    assert "ValidationException" in caplog.text


def test_items_not_judged_before_the_deadline_score_neutral(standin):
    standin.reset(Behaviour(latency_seconds=2.0))
    batch = items(4)
    # 1.5 s budget minus the contract's 1 s response reserve: 0.5 s, less than one judge call.
    results = make_judge(standin).grade_batch(batch, Deadline(budget_seconds=1.5))
    assert_well_formed(results, batch)
    assert all(r["aggregate_reward_score"] == 0.5 and metrics_of(r)["timed_out"] == 1.0 for r in results)


def test_a_call_slower_than_the_time_left_is_cut_at_the_deadline(standin, caplog):
    # The judge would answer after 5 s; the batch has 1.5 s (0.5 s after the response reserve).
    standin.reset(Behaviour(latency_seconds=5.0))
    batch = items(4)
    started = time.monotonic()
    with caplog.at_level("INFO", logger="graders"):
        results = make_judge(standin, read_timeout_seconds=60).grade_batch(batch, Deadline(budget_seconds=1.5))
    elapsed = time.monotonic() - started
    assert_well_formed(results, batch)
    for res in results:
        assert res["aggregate_reward_score"] == 0.5  # neutral: the answer is not at fault
        assert metrics_of(res)["timed_out"] == 1.0 and metrics_of(res)["calls"] == 1  # cut, not retried
    reasons = [r.getMessage() for r in caplog.records if "judge call exceeded the batch deadline" in r.getMessage()]
    assert sorted(reason.split()[1] for reason in reasons) == [f"item-{i}" for i in range(4)]
    # Every request was cut by the client, which did not wait for the 5 s answer.
    assert standin.stats.requests == 4
    deadline_passes = time.monotonic() + 3
    while standin.stats.abandoned < 4 and time.monotonic() < deadline_passes:
        time.sleep(0.02)  # the stand-in notices the hang-ups within 50 ms
    assert standin.stats.abandoned == 4
    assert elapsed < 4.0


def test_a_read_timeout_not_caused_by_the_deadline_is_retried(standin):
    # With no deadline in sight the configured read timeout applies; the stalled call is retried.
    standin.reset(Behaviour(scripted=["stall"], stall_seconds=5.0))
    [res] = make_judge(standin, read_timeout_seconds=0.5).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.7
    assert metrics_of(res)["calls"] == 2 and metrics_of(res)["server_errors"] == 1
    assert standin.stats.requests == 2


def test_no_call_starts_when_the_deadline_is_too_close(standin):
    results = make_judge(standin, min_call_seconds=0.8).grade_batch(items(3), Deadline(budget_seconds=1.5))
    assert all(metrics_of(r)["timed_out"] == 1.0 and metrics_of(r)["neutral"] == 1.0 for r in results)
    assert standin.stats.requests == 0


def test_malformed_items_score_zero_in_place(standin):
    batch = [items(1)[0], {"id": "bad", "messages": []}, "not an object", items(1)[0] | {"id": "last"}]
    results = make_judge(standin).grade_batch(batch, Deadline())
    assert_well_formed(results, batch)
    assert [r["aggregate_reward_score"] for r in results] == [0.7, 0.0, 0.0, 0.7]
    assert metrics_of(results[1])["malformed"] == 1.0
    assert standin.stats.requests == 2


def test_gpt_oss_reasoning_is_ignored_and_the_verdict_read(standin):
    standin.reset(
        Behaviour(
            reasoning_block=True,
            responder=lambda call: (
                "<reasoning>A score of 2 seems too low; the answer is right.</reasoning>\n```json\n"
                '{"score": 9, "reason": "correct"}\n```'
            ),
        )
    )
    [res] = make_judge(standin).grade_batch(items(1), Deadline())
    assert res["aggregate_reward_score"] == 0.9


def test_an_empty_answer_scores_zero_without_a_call(standin):
    [res] = make_judge(standin).grade_batch(items(1, answer="   "), Deadline())
    assert res["aggregate_reward_score"] == 0.0 and standin.stats.requests == 0


def test_the_client_is_configured_for_our_retry_loop():
    settings = JudgeSettings(max_concurrency=32, read_timeout_seconds=30)
    clients = make_runtime_client(settings, endpoint_url="http://127.0.0.1:9", session=standin_session())
    config = clients.default.meta.config
    assert config.retries["total_max_attempts"] == 1
    assert config.read_timeout == 30 and config.max_pool_connections == 32
    assert clients.default.meta.endpoint_url == "http://127.0.0.1:9"


def test_each_call_gets_a_read_timeout_that_ends_within_the_time_left():
    settings = JudgeSettings(read_timeout_seconds=60, connect_timeout_seconds=5)
    clients = make_runtime_client(settings, endpoint_url="http://127.0.0.1:9", session=standin_session())
    assert clients.for_budget(float("inf")) == (clients.default, 60)

    def step(seconds: float) -> tuple[Any, float]:
        found = clients.for_budget(seconds)
        assert found is not None, seconds
        return found

    assert step(300)[1] == 60  # the configured timeout when there is time for it
    for seconds in (59.0, 10.0, 2.0, 0.4):
        client, timeout = step(seconds)
        # The longest step that fits: at most a quarter of the time left goes unused.
        assert 0.75 * seconds <= timeout <= seconds
        config = client.meta.config
        assert config.read_timeout == timeout and config.connect_timeout == min(5, timeout)
        assert config.retries["total_max_attempts"] == 1 and client.meta.endpoint_url == "http://127.0.0.1:9"
    assert step(10.0)[0] is step(9.9)[0]  # one client per step, reused
    assert clients.for_budget(0.2) is None  # too little time for any call
