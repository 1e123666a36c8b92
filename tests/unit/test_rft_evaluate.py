"""`rft evaluate`: a weaker base and a stronger tuned model (both played by the local Bedrock-runtime
stand-in) answer the shipped math problems; the real math grader grades both; the lift is what the
two models' known accuracies imply."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rft import evaluation
from rft.commands.cli import main
from tests.support.bedrock_runtime_standin import BedrockRuntimeStandin, Behaviour, by_model, point_boto3_at

DATASET = Path(__file__).resolve().parents[2] / "datasets" / "math_word_problems.jsonl"
BASE = "us.amazon.nova-2-lite-v1:0"
TUNED = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl"
ROWS = 40
WRONG_BUT_FORMATTED = 0.1  # the math grader's reward for a well-formed wrong final answer


def rows() -> list[dict]:
    return [json.loads(line) for line in DATASET.read_text().splitlines()[:ROWS]]


def knows(model: str, row_id: str) -> bool:
    """Which problems each model gets right: base about 30%, tuned about 80% (deterministic by id)."""
    bucket = int(hashlib.sha256(row_id.encode()).hexdigest(), 16) % 10
    return bucket < (3 if model == BASE else 8)


def math_model(model: str, data: list[dict]):
    by_prompt = {"".join(m["content"] for m in r["messages"] if m["role"] != "system"): r for r in data}

    def respond(call) -> str:
        row = by_prompt[call.user_text]
        reference = str(row["reference_answer"])
        answer = reference if knows(model, row["id"]) else reference + "1"  # 64 -> 641, 6.4 -> 6.41
        return f"Working it out step by step.\n#### {answer}"

    return respond


def expected(model: str, data: list[dict]) -> tuple[float, float]:
    right = sum(knows(model, r["id"]) for r in data)
    return (right + WRONG_BUT_FORMATTED * (len(data) - right)) / len(data), right / len(data)


@pytest.fixture()
def standin(monkeypatch, tmp_path):
    data = rows()
    behaviour = Behaviour(responder=by_model({BASE: math_model(BASE, data), TUNED: math_model(TUNED, data)}))
    with BedrockRuntimeStandin(behaviour) as server:
        point_boto3_at(monkeypatch, tmp_path, server.endpoint_url)
        yield server


def dataset_file(tmp_path: Path) -> Path:
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows()), encoding="utf-8")
    return path


def run(tmp_path: Path, *extra: str) -> int:
    return main(
        [
            "evaluate",
            "--dataset",
            str(dataset_file(tmp_path)),
            "--grader",
            "math",
            "--base-model",
            BASE,
            "--tuned-model",
            TUNED,
            "--out",
            str(tmp_path / "out"),
            "--concurrency",
            "4",
            *extra,
        ]
    )


def test_reports_the_lift_the_two_models_imply_and_writes_the_documented_files(standin, tmp_path, capsys):
    assert run(tmp_path, "--yes") == 0
    printed = capsys.readouterr().out
    summary = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert set(summary) == {"base", "tuned", "lift"}
    for side in ("base", "tuned"):
        assert set(summary[side]) == {"n", "mean_reward", "pass_rate", "metrics"}
        assert summary[side]["n"] == ROWS
    assert set(summary["lift"]) == {"mean_reward", "pass_rate", "ci95"}
    (base_mean, base_pass), (tuned_mean, tuned_pass) = expected(BASE, rows()), expected(TUNED, rows())
    assert summary["base"]["mean_reward"] == pytest.approx(base_mean)
    assert summary["tuned"]["mean_reward"] == pytest.approx(tuned_mean)
    assert summary["base"]["pass_rate"] == pytest.approx(base_pass)
    assert summary["lift"]["pass_rate"] == pytest.approx(tuned_pass - base_pass)
    assert summary["lift"]["mean_reward"] == pytest.approx(tuned_mean - base_mean)
    low, high = summary["lift"]["ci95"]
    assert 0 < low < summary["lift"]["mean_reward"] < high
    assert summary["tuned"]["metrics"]["correct"] == pytest.approx(tuned_pass)
    per_row = [json.loads(line) for line in (tmp_path / "out" / "evaluation.jsonl").read_text().splitlines()]
    assert [r["id"] for r in per_row] == [r["id"] for r in rows()]
    for record, row in zip(per_row, rows()):
        assert {
            "id",
            "base_answer",
            "tuned_answer",
            "base_score",
            "tuned_score",
            "base_metrics",
            "tuned_metrics",
        } <= set(record)
        assert record["tuned_score"] == (1.0 if knows(TUNED, row["id"]) else WRONG_BUT_FORMATTED)
    png = (tmp_path / "out" / "evaluation.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert "mean reward" in printed and "the tuned model is better" in printed
    assert standin.stats.requests == 2 * ROWS
    assert {c.model_id for c in standin.calls} == {BASE, TUNED}


def test_throttled_requests_are_retried_and_every_row_still_answered(standin, tmp_path, monkeypatch):
    monkeypatch.setattr(evaluation, "BACKOFF_BASE_SECONDS", 0.001)
    standin.reset(Behaviour(responder=standin.behaviour.responder, throttle_rate=0.3, seed=3))
    assert run(tmp_path, "--yes") == 0
    summary = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert standin.stats.throttles_served > 5
    assert standin.stats.replies == 2 * ROWS
    assert summary["tuned"]["mean_reward"] == pytest.approx(expected(TUNED, rows())[0])
    per_row = (tmp_path / "out" / "evaluation.jsonl").read_text()
    assert "_error" not in per_row


def test_concurrency_is_bounded(standin, tmp_path):
    standin.reset(Behaviour(responder=standin.behaviour.responder, latency_seconds=0.05))
    assert run(tmp_path, "--yes", "--limit", "12") == 0
    assert 1 < standin.stats.max_in_flight <= 4


def test_without_yes_it_prints_the_estimate_and_spends_nothing_when_declined(standin, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    assert run(tmp_path, "--limit", "5", "--max-tokens", "512") == 1
    printed = capsys.readouterr().out
    assert "10 Converse calls" in printed and "up to 5,120 output tokens" in printed
    assert standin.stats.requests == 0
    assert not (tmp_path / "out").exists()


def test_a_model_the_account_cannot_invoke_stops_with_a_message(standin, tmp_path, capsys):
    standin.reset(Behaviour(responder=standin.behaviour.responder, scripted=["denied"]))
    assert run(tmp_path, "--yes", "--limit", "3", "--concurrency", "1") == 1
    assert "AccessDeniedException" in capsys.readouterr().err


def test_throttling_that_never_ends_is_reported_per_row_not_hidden(standin, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(evaluation, "BACKOFF_BASE_SECONDS", 0.0)
    standin.reset(Behaviour(responder=standin.behaviour.responder, throttle_rate=1.0))
    assert run(tmp_path, "--yes", "--limit", "2") == 0
    record = json.loads((tmp_path / "out" / "evaluation.jsonl").read_text().splitlines()[0])
    assert "ThrottlingException" in record["base_error"] and record["base_score"] == 0.0
    assert "failed after retries" in capsys.readouterr().out


def test_env_reads_the_grader_dataset_models_and_inference_settings_from_the_configuration(
    standin, tmp_path, monkeypatch, capsys
):
    import boto3
    from botocore.stub import Stubber

    from rft import clients

    ssm = boto3.client("ssm", region_name="us-east-1")
    stub = Stubber(ssm)
    stub.add_response(
        "get_parameter",
        {"Parameter": {"Name": "/rft/dev/custom-model-deployment-arn", "Value": TUNED}},
        {"Name": "/rft/dev/custom-model-deployment-arn"},
    )
    stub.activate()
    monkeypatch.setattr(clients, "make_client", lambda service, region="us-east-1": ssm)
    code = main(["evaluate", "--env", "dev", "--limit", "6", "--yes", "--out", str(tmp_path / "out")])
    assert code == 0, capsys.readouterr()
    stub.assert_no_pending_responses()
    summary = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert summary["base"]["n"] == 6
    assert {c.model_id for c in standin.calls} == {BASE, TUNED}  # the customization id is mapped to its profile
    for call in standin.calls:  # dev: reasoningEffort high, so no maxTokens (see evaluation.conversation)
        assert call.body["additionalModelRequestFields"] == {
            "reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}
        }
        assert "inferenceConfig" not in call.body
