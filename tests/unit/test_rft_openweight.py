"""`rft status`, `watch` and `report` for open-weight jobs, against the OpenAI-compatible stand-in."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rft import openweight_jobs
from rft.commands import cmd_jobs
from rft.commands.cli import main
from rft_job_openweight.auth import openai_client
from tests.support.openai_finetuning_standin import OpenAIFineTuningStandin

GRADER = "arn:aws:lambda:us-west-2:123456789012:function:rft-dev-math"


@pytest.fixture
def api(monkeypatch) -> Iterator[OpenAIFineTuningStandin]:
    with OpenAIFineTuningStandin() as standin:
        regions: list[str] = []

        def make_client(region: str) -> Any:
            regions.append(region)
            return openai_client(region, base_url=standin.base_url, api_key="k", max_retries=0)

        monkeypatch.setattr(openweight_jobs, "make_client", make_client)
        monkeypatch.setattr(cmd_jobs, "sleep", lambda seconds: None)
        standin.regions = regions  # type: ignore[attr-defined]
        yield standin


def start_job(api: OpenAIFineTuningStandin) -> str:
    client = openai_client("us-west-2", base_url=api.base_url, api_key="k", max_retries=0)
    training = client.files.create(file=("rft-dev-abc-training.jsonl", b"{}\n"), purpose="fine-tune")
    job = client.fine_tuning.jobs.create(
        model="qwen.qwen3-32b-v1:0",
        training_file=training.id,
        metadata={"rft-job-name": "rft-dev-abc"},
        method={
            "type": "reinforcement",
            "reinforcement": {"grader": {"type": "lambda", "lambda": {"function": GRADER}}},
        },
    )
    return job.id


def test_status_shows_the_open_weight_job_in_nova_words(api, capsys) -> None:
    job_id = start_job(api)
    api.set_status(job_id, "running")
    assert main(["status", "--job-arn", job_id, "--region", "us-west-2"]) == 0
    out = capsys.readouterr().out
    assert "rft-dev-abc" in out and "InProgress" in out and "qwen.qwen3-32b-v1:0" in out and "running" in out
    assert api.regions == ["us-west-2"]


def test_status_of_an_unknown_job_says_so(api, capsys) -> None:
    assert main(["status", "--job-arn", "ftjob-missing", "--region", "us-west-2"]) == 1
    assert "No such job: ftjob-missing" in capsys.readouterr().err


def test_watch_ends_with_the_fine_tuned_model(api, capsys, monkeypatch) -> None:
    job_id = start_job(api)
    polls = iter(["running", "succeeded"])

    real_get_job = openweight_jobs.get_job

    def get_job(client: Any, ref: str) -> dict:
        status = next(polls)
        api.set_status(
            ref, status, fine_tuned_model="qwen.qwen3-32b-v1:0:ft:rft-dev-abc" if status == "succeeded" else None
        )
        return real_get_job(client, ref)

    monkeypatch.setattr(openweight_jobs, "get_job", get_job)
    assert main(["watch", "--job-arn", job_id, "--region", "us-west-2", "--interval", "1"]) == 0
    out = capsys.readouterr().out
    assert "Completed" in out and "qwen.qwen3-32b-v1:0:ft:rft-dev-abc" in out


def test_watch_exits_1_when_the_job_fails_with_the_service_message(api, capsys) -> None:
    job_id = start_job(api)
    api.set_status(job_id, "failed", error={"code": "grader", "message": "reward function returned no id"})
    assert main(["watch", "--job-arn", job_id, "--region", "us-west-2", "--interval", "1"]) == 1
    assert "Failed" in capsys.readouterr().out


def test_report_draws_the_reward_curve_from_metrics_events(api, tmp_path: Path, capsys) -> None:
    job_id = start_job(api)
    for step, reward in ((1, 0.56), (2, 0.7), (3, 0.85)):
        api.add_metrics(job_id, step, critic_rewards_mean=reward, actor_entropy=1.0 / step)
    api.set_status(job_id, "succeeded")
    assert main(["report", "--job-arn", job_id, "--region", "us-west-2", "--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert [(r["step"], r["critic_rewards_mean"]) for r in rows] == [("1", "0.56"), ("2", "0.7"), ("3", "0.85")]
    assert (tmp_path / "reward_curve.png").stat().st_size > 1000
    assert "3 metrics event(s)" in capsys.readouterr().out


def test_report_without_metrics_events_says_so(api, tmp_path: Path, capsys) -> None:
    job_id = start_job(api)
    assert main(["report", "--job-arn", job_id, "--region", "us-west-2", "--out", str(tmp_path)]) == 1
    assert "no metrics events yet" in capsys.readouterr().err


def test_metric_records_follow_event_pages(api) -> None:
    job_id = start_job(api)
    for step in range(1, 251):  # more than two pages of 100
        api.add_metrics(job_id, step, train_reward_mean=step / 250)
    client = openai_client("us-west-2", base_url=api.base_url, api_key="k", max_retries=0)
    records = openweight_jobs.metric_records(client, job_id)
    assert [r["step"] for r in records] == [float(s) for s in range(1, 251)]
    assert records[-1]["train_reward_mean"] == 1.0


@pytest.mark.parametrize(
    "ref,expected",
    [
        ("ftjob-abc123", True),
        ("arn:aws:bedrock:us-east-1:1:model-customization-job/x", False),
        ("", False),
        ("not started (set startTraining)", False),
        ("pending", False),
    ],
)
def test_open_weight_job_refs(ref: str, expected: bool) -> None:
    assert openweight_jobs.is_open_weight_job(ref) is expected
