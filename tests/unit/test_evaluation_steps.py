"""The evaluation state machine's Lambda steps (lambda/evaluation/steps.py) against Stubber'd clients,
and the shared summary (lambda/evaluation/summary.py) with hand-computed figures."""

from __future__ import annotations

import io
import json
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from evaluation import steps
from evaluation.summary import markdown_report, paired_bootstrap_ci, summarize

PARAMETER = "/rft/dev/custom-model-deployment-arn"
DEPLOYMENT = "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abcdefghijkl"
MODEL = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-2-lite-v1:0:256k/xyz"
EVENT = {
    "detail": {
        "jobName": "rft-dev-abc",
        "jobStatus": "Completed",
        "outputModelArn": MODEL,
        "outputModelName": "rft-dev-abc-model",
    }
}
ROW: dict[str, Any] = {
    "id": "math-0001",
    "messages": [{"role": "system", "content": "Be careful."}, {"role": "user", "content": "2+2? End with #### n"}],
    "reference_answer": "4",
    "answer_format": "hash",
}


def client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


# -- resolve -----------------------------------------------------------------------------------------
def stubbed_resolve(parameter: dict | None, deployment: dict | None):
    bedrock, ssm = client("bedrock"), client("ssm")
    with Stubber(bedrock) as b, Stubber(ssm) as s:
        if parameter is None:
            s.add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": PARAMETER})
        else:
            s.add_response("get_parameter", {"Parameter": parameter}, {"Name": PARAMETER})
        if deployment is not None:
            b.add_response("get_custom_model_deployment", deployment, {"customModelDeploymentIdentifier": DEPLOYMENT})
        return steps.resolve(bedrock, ssm, parameter_name=PARAMETER, event=EVENT)


def deployment(status: str, model: str = MODEL) -> dict:
    return {
        "customModelDeploymentArn": DEPLOYMENT,
        "modelDeploymentName": "d",
        "modelArn": model,
        "createdAt": "2026-12-01T00:00:00Z",
        "status": status,
    }


def test_resolve_returns_the_active_deployment_of_this_jobs_model():
    out = stubbed_resolve({"Name": PARAMETER, "Value": DEPLOYMENT}, deployment("Active"))
    assert out == {"jobName": "rft-dev-abc", "deploymentArn": DEPLOYMENT, "modelArn": MODEL}


@pytest.mark.parametrize(
    "parameter, found",
    [
        (None, None),  # the completion handler has not recorded it yet
        ({"Name": PARAMETER, "Value": DEPLOYMENT}, deployment("Creating")),
        ({"Name": PARAMETER, "Value": DEPLOYMENT}, deployment("Active", model=MODEL + "-previous-job")),
    ],
)
def test_resolve_waits_while_the_deployment_is_missing_creating_or_of_another_model(parameter, found):
    with pytest.raises(steps.DeploymentNotReady):
        stubbed_resolve(parameter, found)


def test_resolve_gives_up_on_a_failed_deployment():
    with pytest.raises(steps.DeploymentFailed, match="failed"):
        stubbed_resolve({"Name": PARAMETER, "Value": DEPLOYMENT}, deployment("Failed"))


# -- answer --------------------------------------------------------------------------------------------
def test_answer_sends_the_prompt_with_the_jobs_inference_settings_and_returns_the_grader_item():
    runtime = client("bedrock-runtime")
    expected = {
        "modelId": "us.amazon.nova-2-lite-v1:0",
        "system": [{"text": "Be careful."}],
        "messages": [{"role": "user", "content": [{"text": "2+2? End with #### n"}]}],
        "inferenceConfig": {"maxTokens": 2048},
        "additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}},
    }
    reply = {
        "output": {"message": {"role": "assistant", "content": [{"text": "2+2=4\n#### 4"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 12, "outputTokens": 6, "totalTokens": 18},
        "metrics": {"latencyMs": 5},
    }
    with Stubber(runtime) as stub:
        stub.add_response("converse", reply, expected)
        out = steps.answer(
            runtime,
            row=ROW,
            index=0,
            side="base",
            model_id="us.amazon.nova-2-lite-v1:0",
            settings=steps.InferenceSettings(max_tokens=2048, reasoning_effort="low"),
        )
    assert out["answer"] == "2+2=4\n#### 4"
    assert out["item"] == {
        "id": "math-0001#base",
        "metadata": {"reference_answer": "4", "answer_format": "hash"},
        "messages": ROW["messages"] + [{"role": "assistant", "content": "2+2=4\n#### 4"}],
    }
    assert out["usage"] == {"inputTokens": 12, "outputTokens": 6}


def test_answer_raises_model_throttled_for_the_state_machine_to_retry():
    runtime = client("bedrock-runtime")
    with Stubber(runtime) as stub:
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        with pytest.raises(steps.ModelThrottled):
            steps.answer(
                runtime, row=ROW, index=0, side="tuned", model_id=DEPLOYMENT, settings=steps.InferenceSettings()
            )


def test_answer_turns_another_model_error_into_an_empty_answer_that_scores_zero():
    runtime = client("bedrock-runtime")
    with Stubber(runtime) as stub:
        stub.add_client_error("converse", "ValidationException", "input too long")
        out = steps.answer(
            runtime, row=ROW, index=3, side="tuned", model_id=DEPLOYMENT, settings=steps.InferenceSettings()
        )
    assert out["answer"] == "" and "ValidationException: input too long" in out["error"]
    assert out["item"]["messages"][-1] == {"role": "assistant", "content": ""}


# -- record and summarize ------------------------------------------------------------------------------
def grade(item_id: str, score: float) -> dict:
    return {
        "id": item_id,
        "aggregate_reward_score": score,
        "metrics_list": [{"name": "correct", "value": float(score == 1.0), "type": "Reward"}],
    }


def answers(index: int) -> list[dict]:
    return [{"item": {"id": f"r{index}#base"}, "answer": "b"}, {"item": {"id": f"r{index}#tuned"}, "answer": "t"}]


def test_record_matches_grades_to_answers_by_id_and_writes_the_row():
    s3 = client("s3")
    grades = [grade("r7#tuned", 1.0), grade("r7#base", 0.1)]  # the grader may reorder nothing, but ids decide
    record = steps.row_record(row={"id": "r7"}, index=7, answers=answers(7), grades=grades)
    assert (record["base_score"], record["tuned_score"]) == (0.1, 1.0)
    with Stubber(s3) as stub:
        stub.add_response(
            "put_object",
            {},
            {
                "Bucket": "data",
                "Key": "output/evaluation/job/rows/0000007.json",
                "Body": ANY,
                "ContentType": "application/json",
            },
        )
        assert (
            steps.record(s3, bucket="data", prefix="output/evaluation/", job_name="job", row_record_=record)
            == "output/evaluation/job/rows/0000007.json"
        )


def test_summarize_writes_the_three_files_notifies_and_puts_metrics():
    rows = [
        steps.row_record(
            row={"id": f"r{i}"}, index=i, answers=answers(i), grades=[grade(f"r{i}#base", b), grade(f"r{i}#tuned", t)]
        )
        for i, (b, t) in enumerate([(0.0, 1.0), (1.0, 1.0), (0.1, 0.1), (0.0, 1.0)])
    ]
    s3, sns, cw = client("s3"), client("sns"), client("cloudwatch")
    prefix = "output/evaluation/job/rows/"
    written = {}
    with Stubber(s3) as s, Stubber(sns) as n, Stubber(cw) as c:
        s.add_response(
            "list_objects_v2",
            {"IsTruncated": False, "Contents": [{"Key": f"{prefix}{i:07d}.json"} for i in (3, 1, 0, 2)]},
            {"Bucket": "data", "Prefix": prefix},
        )
        for i in (3, 1, 0, 2):
            s.add_response(
                "get_object",
                {"Body": body(json.dumps(rows[i]).encode())},
                {"Bucket": "data", "Key": f"{prefix}{i:07d}.json"},
            )
        for name in ("evaluation.jsonl", "summary.json", "report.md"):
            s.add_response(
                "put_object",
                {},
                {"Bucket": "data", "Key": f"output/evaluation/job/{name}", "Body": ANY, "ContentType": ANY},
            )
        c.add_response("put_metric_data", {}, {"Namespace": "BedrockRFT", "MetricData": ANY})
        n.add_response(
            "publish", {"MessageId": "m"}, {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Subject": ANY, "Message": ANY}
        )
        original = s3.put_object

        def capture(**kwargs):
            written[kwargs["Key"].rsplit("/", 1)[1]] = kwargs["Body"]
            return original(**kwargs)

        s3.put_object = capture
        original_publish = sns.publish

        def capture_publish(**kwargs):
            written["notification"] = kwargs
            return original_publish(**kwargs)

        sns.publish = capture_publish
        out = steps.summarize_and_publish(
            s3=s3,
            sns=sns,
            cloudwatch=cw,
            bucket="data",
            prefix="output/evaluation/",
            job_name="job",
            topic_arn="arn:aws:sns:us-east-1:1:t",
            environment="dev",
            details={"grader": "math"},
        )
    summary = json.loads(written["summary.json"])
    # base 0, 1, .1, 0 -> mean .275, pass .25; tuned 1, 1, .1, 1 -> mean .775, pass .75
    assert summary["base"]["mean_reward"] == pytest.approx(0.275)
    assert summary["tuned"]["pass_rate"] == pytest.approx(0.75)
    assert summary["lift"]["mean_reward"] == pytest.approx(0.5)
    assert [json.loads(line)["index"] for line in written["evaluation.jsonl"].decode().splitlines()] == [0, 1, 2, 3]
    assert b"| mean reward | 0.275 | 0.775 | +0.500 |" in written["report.md"]
    assert out["rows"] == 4 and out["resultsUri"] == "s3://data/output/evaluation/job/"
    message = written["notification"]
    assert message["Subject"] == "RFT job job evaluated: +0.500 mean reward"
    assert "Mean reward: base 0.275, tuned 0.775 (+0.500)" in message["Message"]
    assert "s3://data/output/evaluation/job/" in message["Message"]


def test_metric_data_carries_both_models_and_the_lift():
    summary = summarize([{"base_score": 0.0, "tuned_score": 1.0}, {"base_score": 1.0, "tuned_score": 1.0}])
    data = steps.metric_data(summary, "dev")
    by_key = {(d["MetricName"], tuple(x["Value"] for x in d["Dimensions"])): d["Value"] for d in data}
    assert by_key[("EvaluationMeanReward", ("dev", "base"))] == 0.5
    assert by_key[("EvaluationPassRate", ("dev", "tuned"))] == 1.0
    assert by_key[("EvaluationLift", ("dev",))] == 0.5


def test_summary_by_hand():
    rows = [
        {
            "base_score": b,
            "tuned_score": t,
            "base_metrics": {"correct": float(b >= 0.5)},
            "tuned_metrics": {"correct": float(t >= 0.5)},
        }
        for b, t in [(0.2, 0.9), (0.5, 0.4), (0.0, 0.6)]
    ]
    summary = summarize(rows)
    assert summary["base"] == {
        "n": 3,
        "mean_reward": pytest.approx(0.7 / 3),
        "pass_rate": pytest.approx(1 / 3),
        "metrics": {"correct": pytest.approx(1 / 3)},
    }
    assert summary["tuned"]["pass_rate"] == pytest.approx(2 / 3)
    assert summary["lift"]["mean_reward"] == pytest.approx((1.9 - 0.7) / 3)
    low, high = summary["lift"]["ci95"]
    # the differences are .7, -.1, .6: resampled means lie between -.1 and .7
    assert -0.1 <= low < summary["lift"]["mean_reward"] < high <= 0.7
    report = markdown_report(summary, title="t")
    assert "| pass rate (score >= 0.5) | 33.3% | 66.7% | +33.3 pts |" in report
    assert "| correct | 0.333 | 0.667 |" in report


def test_bootstrap_of_a_constant_difference_is_that_difference_and_is_seeded():
    assert paired_bootstrap_ci([0.0] * 5, [0.25] * 5) == [0.25, 0.25]
    noisy_base, noisy_tuned = [0, 1, 0, 1, 0, 0, 1, 0], [1, 1, 0, 1, 1, 0, 1, 1]
    assert paired_bootstrap_ci(noisy_base, noisy_tuned) == paired_bootstrap_ci(noisy_base, noisy_tuned)
    spread_base, spread_tuned = [i / 37 for i in range(30)], [((i * 7) % 30) / 29 for i in range(30)]
    assert paired_bootstrap_ci(spread_base, spread_tuned, seed=1) != paired_bootstrap_ci(
        spread_base, spread_tuned, seed=2
    )
    with pytest.raises(ValueError):
        paired_bootstrap_ci([0.0], [0.0, 1.0])
