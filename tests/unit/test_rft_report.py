"""`rft report`: metrics files from the job's output prefix (moto S3), job details from a Stubber."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from rich.console import Console

from rft import clients
from rft.commands.cli import main
from rft.commands.cmd_report import summary_table, write_csv
from rft.metrics_files import merge, metric_goal, parse_metrics_file, reward_columns

JOB_ID = "x7k2p9"
JOB_ARN = f"arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-2-lite-v1:0:256k/{JOB_ID}"
CREATED = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)
BUCKET = "rft-data-bucket"


def job(status: str = "Completed", output: str = f"s3://{BUCKET}/rft-output/") -> dict:
    return {
        "jobArn": JOB_ARN,
        "jobName": "rft-dev-77",
        "outputModelName": "m",
        "status": status,
        "roleArn": "arn:aws:iam::123456789012:role/rft",
        "creationTime": CREATED,
        "endTime": CREATED + timedelta(hours=4),
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
        "trainingDataConfig": {"s3Uri": f"s3://{BUCKET}/train.jsonl"},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": output},
    }


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        bedrock = boto3.client("bedrock", region_name="us-east-1")
        stubber = Stubber(bedrock)  # moto cannot get a job by ARN, so Bedrock is stubbed
        stubber.activate()
        made = {"s3": s3, "bedrock": bedrock}
        monkeypatch.setattr(clients, "make_client", lambda service, region=clients.DEFAULT_REGION: made[service])
        yield {"s3": s3, "bedrock": stubber}
        stubber.assert_no_pending_responses()


def put(aws, key: str, body: str) -> None:
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body.encode())


def steps_csv(count: int) -> str:
    lines = ["step,critic/rewards/mean,val-score/rewards/mean@1,actor/entropy"]
    lines += [f"{s},{0.2 + 0.05 * s:.2f},{0.25 + 0.04 * s:.2f},{1.5 - 0.1 * s:.2f}" for s in range(1, count + 1)]
    return "\n".join(lines) + "\n"


def test_report_prints_metrics_and_writes_a_reward_curve(aws, tmp_path, capsys):
    aws["bedrock"].add_response("get_model_customization_job", job(), {"jobIdentifier": JOB_ARN})
    put(aws, f"rft-output/{JOB_ID}/metrics/training_metrics.csv", steps_csv(10))
    put(
        aws,
        f"rft-output/{JOB_ID}/metrics/lengths.jsonl",
        "".join(json.dumps({"step": s, "response_length": {"mean": 100 + s}}) + "\n" for s in range(1, 11)),
    )
    put(aws, f"rft-output/{JOB_ID}/manifest.json", json.dumps({"modelArn": "arn:x", "epochs": 2}))
    put(aws, "rft-output/other-job/metrics.csv", "step,critic/rewards/mean\n1,0.99\n")
    out = tmp_path / "report"
    assert main(["report", "--job-arn", JOB_ARN, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "training metrics (10 steps)" in printed
    assert "critic/rewards/mean" in printed and "val-score/rewards/mean@1" in printed
    assert "response_length/mean" in printed and "other-job" not in printed
    with (out / "metrics.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 10
    assert table[-1]["critic/rewards/mean"] == "0.7" and table[0]["response_length/mean"] == "101"
    assert (out / "reward_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_running_job_is_reported_with_a_note(aws, tmp_path, capsys):
    aws["bedrock"].add_response("get_model_customization_job", job("InProgress"), {"jobIdentifier": JOB_ARN})
    put(
        aws,
        "rft-output/steps.json",
        json.dumps({"metrics": [{"global_step": 1, "reward": 0.1}, {"global_step": 2, "reward": 0.3}]}),
    )
    assert main(["report", "--job-arn", JOB_ARN, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "note: the job is InProgress; its metrics may be partial or missing" in printed
    assert "training metrics (2 steps)" in printed and (tmp_path / "reward_curve.png").exists()


def test_no_metrics_files_is_an_error(aws, tmp_path, capsys):
    aws["bedrock"].add_response("get_model_customization_job", job(), {"jobIdentifier": JOB_ARN})
    put(aws, "rft-output/model/weights.bin", "binary")
    assert main(["report", "--job-arn", JOB_ARN, "--out", str(tmp_path)]) == 1
    assert f"no metrics files (.csv, .json, .jsonl) under s3://{BUCKET}/rft-output/" in capsys.readouterr().err


def test_files_without_step_metrics_are_an_error(aws, tmp_path, capsys):
    aws["bedrock"].add_response("get_model_customization_job", job(), {"jobIdentifier": JOB_ARN})
    put(aws, "rft-output/manifest.json", json.dumps({"modelArn": "arn:x"}))
    put(aws, "rft-output/notes.csv", "comment\nhello\n")
    assert main(["report", "--job-arn", JOB_ARN, "--out", str(tmp_path)]) == 1
    assert "2 file(s) under s3://" in capsys.readouterr().err


def test_a_bad_output_uri_is_an_error(aws, tmp_path, capsys):
    aws["bedrock"].add_response(
        "get_model_customization_job", job(output="https://example.com/x"), {"jobIdentifier": JOB_ARN}
    )
    assert main(["report", "--job-arn", JOB_ARN, "--out", str(tmp_path)]) == 1
    assert "not an S3 URI: https://example.com/x" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, body",
    [
        ("m.csv", "Step,critic/rewards/mean\n1,0.5\n2,0.75\n"),
        (
            "m.jsonl",
            '{"step": 1, "critic": {"rewards": {"mean": 0.5}}}\n\n{"step": 2, "critic": {"rewards": {"mean": 0.75}}}\n',
        ),
        ("m.json", '[{"iteration": 1, "critic/rewards/mean": "0.5"}, {"iteration": 2, "critic/rewards/mean": 0.75}]'),
        ("m.json", '{"step": [1, 2], "critic/rewards/mean": [0.5, 0.75]}'),
        ("m.json", '{"1": {"critic/rewards/mean": 0.5}, "2": {"critic/rewards/mean": 0.75}}'),
        ("m.json", '{"history": [{"critic/rewards/mean": 0.5}, {"critic/rewards/mean": 0.75}]}'),
    ],
)
def test_metric_file_shapes(name, body):
    assert parse_metrics_file(name, body.encode()) == [
        {"step": 1.0, "critic/rewards/mean": 0.5},
        {"step": 2.0, "critic/rewards/mean": 0.75},
    ]


@pytest.mark.parametrize(
    "name, body",
    [
        ("m.json", "{not json"),
        ("m.csv", "a,b\nx,y\n"),
        ("m.json", '{"k": "v"}'),
        ("m.jsonl", b"\xff\xfe".decode("latin-1")),
    ],
)
def test_files_without_numeric_records_give_nothing(name, body):
    assert parse_metrics_file(name, body.encode("latin-1")) == []


def test_merge_and_reward_columns():
    merged = merge([[{"step": 2.0, "a": 1.0}, {"step": 1.0, "a": 0.0}], [{"step": 1.0, "critic/rewards/mean": 0.2}]])
    assert merged == [{"step": 1.0, "a": 0.0, "critic/rewards/mean": 0.2}, {"step": 2.0, "a": 1.0}]
    assert reward_columns(["actor/entropy", "critic/rewards/mean", "val-score/rewards/mean@1"]) == [
        "critic/rewards/mean",
        "val-score/rewards/mean@1",
    ]


def walkthrough_records() -> list[dict[str, float]]:
    """Four metrics of the kinds the console shows: a reward, an entropy, a loss and a response length."""
    rewards = {1: 0.401, 80: 0.62, 117: 0.8833, 120: 0.879}
    entropy = {1: 1.187, 80: 0.5, 117: 0.3163, 120: 0.3163}
    loss = {1: 0.1449, 80: -0.232, 117: 0.2679, 120: 0.089}
    length = {1: 299.0, 80: 250.0, 117: 230.0, 120: 220.0}
    return [
        {
            "step": float(step),
            "critic/rewards/mean": rewards[step],
            "actor/entropy": entropy[step],
            "actor/pg_loss": loss[step],
            "response_length/mean": length[step],
        }
        for step in (1, 80, 117, 120)
    ]


def rendered_rows(records: list[dict[str, float]], names: list[str]) -> dict[str, list[str]]:
    screen = io.StringIO()
    Console(file=screen, width=160).print(summary_table(records, names))
    rows = {}
    for line in screen.getvalue().splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells and cells[0] in names:
            rows[cells[0]] = cells[1:]
    return rows


def test_best_step_follows_each_metrics_direction():
    names = ["critic/rewards/mean", "actor/entropy", "actor/pg_loss", "response_length/mean"]
    rows = rendered_rows(walkthrough_records(), names)
    #                                goal   first     last      min       max       best step
    assert rows["critic/rewards/mean"] == ["max", "0.4010", "0.8790", "0.4010", "0.8833", "117"]
    assert rows["actor/pg_loss"] == ["min", "0.1449", "0.0890", "-0.2320", "0.2679", "80"]
    assert rows["actor/entropy"] == ["", "1.1870", "0.3163", "0.3163", "1.1870", ""]  # no better direction
    assert rows["response_length/mean"] == ["", "299", "220", "220", "299", ""]


def test_numeric_columns_line_up():
    names = ["critic/rewards/mean", "actor/entropy", "actor/pg_loss"]
    screen = io.StringIO()
    Console(file=screen, width=160).print(summary_table(walkthrough_records(), names))
    lines = [line for line in screen.getvalue().splitlines() if any(line.startswith(f"│ {n} ") for n in names)]
    assert len(lines) == 3
    points = {tuple(i for i, ch in enumerate(line) if ch == ".") for line in lines}
    assert len(points) == 1  # every row's decimal points in the same columns


@pytest.mark.parametrize(
    "name, goal",
    [
        ("critic/rewards/mean", "max"),
        ("val-score/rewards/mean@1", "max"),
        ("accuracy", "max"),
        ("eval/acc", "max"),
        ("pass@1", "max"),
        ("actor/pg_loss", "min"),
        ("critic/vf_loss", "min"),
        ("trainingLoss", "min"),
        ("actor/entropy", None),
        ("response_length/mean", None),
        ("actor/kl", None),
        ("grad_norm", None),
        ("accumulated_tokens", None),
    ],
)
def test_metric_goals(name, goal):
    assert metric_goal(name) == goal


def test_tiny_and_huge_values_keep_their_digits_and_the_csv_keeps_full_precision(tmp_path):
    records = [{"step": 1.0, "lr": 1e-6, "tokens": 2.5e8, "r": 0.123456789}, {"step": 2.0, "lr": 5e-7, "tokens": 3e8}]
    rows = rendered_rows(records, ["lr", "tokens"])
    assert rows["lr"] == ["", "1.000e-06", "5.000e-07", "5.000e-07", "1.000e-06", ""]
    assert rows["tokens"][1] == "250000000"
    write_csv(tmp_path / "m.csv", records, ["lr", "tokens", "r"])
    table = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert table[0] == {"step": "1", "lr": "1e-06", "tokens": "250000000", "r": "0.123456789"}
