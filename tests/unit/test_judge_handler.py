"""The judge Lambda entry point, configured by environment variables, against the Bedrock stand-in."""

from __future__ import annotations

import importlib
import json

import pytest

from graders.contract import BatchError
from graders.handler_kit import LocalContext
from graders.judge.rubric import RubricError
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, point_boto3_at


class LambdaContext(LocalContext):
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def standin(monkeypatch, tmp_path):
    server = BedrockRuntimeStandin(Behaviour(responder=lambda call: '{"score": 4, "reason": "ok"}')).start()
    # boto3 reads the endpoint override and dummy credentials from the environment, as in a Lambda.
    point_boto3_at(monkeypatch, tmp_path, server.endpoint_url)
    yield server
    server.stop()


def fresh_handler():
    import graders.judge_handler

    return importlib.reload(graders.judge_handler).handler


EVENT = [
    {
        "id": "a",
        "messages": [
            {"role": "user", "content": "Explain why 2+2=4 in Peano arithmetic."},
            {"role": "assistant", "content": "By S(S(0)) + S(S(0)) = S(S(S(S(0))))."},
        ],
        "metadata": {"reference_answer": "4", "domain": "logic"},
    },
    {
        "id": "b",
        "reference_answer": "4",
        "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "nova_assistant", "content": [{"type": "text", "text": "4"}]},
        ],
    },
]


def test_handler_reads_configuration_and_grades_the_batch(standin, monkeypatch, capsys):
    monkeypatch.setenv("JUDGE_MODEL_ID", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    monkeypatch.setenv("JUDGE_RUBRIC", "reasoning")
    results = fresh_handler()(EVENT, LambdaContext(60_000))
    assert [r["id"] for r in results] == ["a", "b"]
    assert [r["aggregate_reward_score"] for r in results] == [0.4, 0.4]  # 4 on the reasoning rubric's 0-10
    assert {c.model_id for c in standin.calls} == {"us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    assert all("Rubric: reasoning in a specialised domain" in c.user_text for c in standin.calls)
    assert (
        "logic"
        in standin.calls[[c.answer for c in standin.calls].index("By S(S(0)) + S(S(0)) = S(S(S(S(0)))).")].user_text
    )
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf and emf[-1]["BatchSize"] == [2.0] and "Check.input_tokens" in emf[-1]


def test_handler_accepts_the_trajectories_wrapper_and_a_custom_rubric(standin, monkeypatch):
    monkeypatch.setenv("JUDGE_RUBRIC", "custom")
    monkeypatch.setenv("JUDGE_CUSTOM_RUBRIC", "---\nscale_min: 0\nscale_max: 5\n---\nGrade brevity.")
    results = fresh_handler()({"trajectories": EVENT}, None)
    assert [r["aggregate_reward_score"] for r in results] == [0.8, 0.8]  # 4 on a 0-5 scale
    assert all(c.user_text.startswith("Grade brevity.") for c in standin.calls)


def test_handler_rejects_an_event_that_is_not_a_batch(standin):
    with pytest.raises(BatchError):
        fresh_handler()({"not": "a batch"}, None)


def test_a_misconfigured_judge_fails_the_batch_visibly(standin, monkeypatch):
    # A wrong rubric name would make every reward 0; failing lets Bedrock's retries surface it.
    monkeypatch.setenv("JUDGE_RUBRIC", "no_such_rubric")
    with pytest.raises(RubricError):
        fresh_handler()(EVENT, None)
