"""`rft status` and `rft watch` against botocore Stubber: no call ever leaves the process."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber
from rich.console import Console

from rft import clients
from rft.commands import cmd_jobs
from rft.commands.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
JOB_ARN = "arn:aws:bedrock:us-east-1:123456789012:model-customization-job/amazon.nova-2-lite-v1:0:256k/abc123"
CREATED = datetime(2026, 11, 25, 8, 0, 0, tzinfo=UTC)


def job(status: str, **extra) -> dict:
    response = {
        "jobArn": JOB_ARN,
        "jobName": "rft-dev-1234",
        "outputModelName": "rft-model",
        "status": status,
        "roleArn": "arn:aws:iam::123456789012:role/rft",
        "creationTime": CREATED,
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
        "trainingDataConfig": {"s3Uri": "s3://data-bucket/train/data.jsonl"},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": "s3://data-bucket/rft-output/"},
        "customizationType": "REINFORCEMENT_FINE_TUNING",
    }
    response.update(extra)
    return response


def make_client(service: str) -> boto3.client:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def aws(monkeypatch):
    """Stubbed bedrock and cloudformation clients, handed to the CLI through rft.clients."""
    made = {name: make_client(name) for name in ("bedrock", "cloudformation")}
    stubbers = {name: Stubber(client) for name, client in made.items()}
    regions = []

    def fake_make_client(service: str, *, region: str = clients.DEFAULT_REGION):
        regions.append(region)
        return made[service]

    monkeypatch.setattr(clients, "make_client", fake_make_client)
    monkeypatch.setattr(cmd_jobs, "sleep", lambda seconds: None)
    for stubber in stubbers.values():
        stubber.activate()
    stubbers["regions"] = regions
    yield stubbers
    for name, stubber in stubbers.items():
        if name != "regions":
            stubber.assert_no_pending_responses()


def expect_job(aws, status: str, **extra) -> None:
    aws["bedrock"].add_response("get_model_customization_job", job(status, **extra), {"jobIdentifier": JOB_ARN})


def test_status_by_job_arn_shows_state_and_elapsed_time(aws, capsys):
    expect_job(
        aws,
        "Completed",
        endTime=CREATED + timedelta(hours=3, minutes=4, seconds=5),
        outputModelArn="arn:aws:bedrock:us-east-1:123456789012:custom-model/rft-model",
    )
    assert main(["status", "--job-arn", JOB_ARN]) == 0
    out = capsys.readouterr().out
    assert "Completed" in out and "3h 04m 05s" in out and "rft-dev-1234" in out
    assert "custom-model/rft-model" in out and "s3://data-bucket/rft-output/" in out
    assert aws["regions"] == ["us-east-1"]


def stack_outputs(aws, stack: str, outputs: dict[str, str]) -> None:
    aws["cloudformation"].add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": stack,
                    "CreationTime": CREATED,
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
                }
            ]
        },
        {"StackName": stack},
    )


@pytest.fixture
def acme_config(tmp_path) -> Path:
    """The repository's configuration with another project name and a ``qa`` environment."""
    document = json.loads((ROOT / "config" / "environments.json").read_text(encoding="utf-8"))
    document["project"] = "acme"
    document["environments"]["qa"] = {"account": "caller"}
    path = tmp_path / "environments.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_status_finds_the_job_from_the_training_stack(aws, capsys):
    stack_outputs(aws, "RftTraining-dev", {"GraderArn": "arn:x", "JobArn": JOB_ARN})
    expect_job(aws, "InProgress")
    assert main(["status", "--env", "dev"]) == 0
    assert "InProgress" in capsys.readouterr().out


def test_the_stack_name_comes_from_the_configuration(aws, capsys, acme_config):
    stack_outputs(aws, "AcmeTraining-qa", {"JobArn": JOB_ARN})
    expect_job(aws, "InProgress")
    assert main(["status", "--env", "qa", "--config", str(acme_config)]) == 0
    assert "InProgress" in capsys.readouterr().out


def test_stack_overrides_the_name_the_environment_gives(aws, capsys):
    stack_outputs(aws, "MyTraining", {"JobArn": JOB_ARN})
    expect_job(aws, "Completed")
    assert main(["status", "--env", "dev", "--stack", "MyTraining"]) == 0
    assert "Completed" in capsys.readouterr().out


def test_an_environment_missing_from_the_configuration_is_a_clear_message(aws, capsys, acme_config):
    assert main(["status", "--env", "qa"]) == 1  # the repository's configuration has no qa
    err = capsys.readouterr().err
    assert "env: 'qa' is not a configured environment (have: dev, staging, prod" in err
    assert "or --stack NAME" in err and "Traceback" not in err
    assert main(["status", "--env", "dev", "--config", str(acme_config.parent / "absent.json")]) == 1
    assert "absent.json: configuration file not found" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["status", "watch", "report"])
def test_a_stack_that_started_no_job_is_reported_without_asking_bedrock(aws, capsys, command):
    stack_outputs(aws, "RftTraining-dev", {"JobArn": "not started (set startTraining to true to train on deploy)"})
    assert main([command, "--env", "dev"]) == 1  # no bedrock response is stubbed: a call would fail differently
    assert capsys.readouterr().err == "error: no training job was started for dev (startTraining is false)\n"


def test_an_output_that_is_not_an_arn_is_not_sent_to_bedrock(aws, capsys):
    stack_outputs(aws, "Custom", {"JobArn": "pending"})
    assert main(["status", "--stack", "Custom"]) == 1
    assert "error: stack Custom: the JobArn output 'pending' is not a job ARN" in capsys.readouterr().err


def test_job_arn_and_stack_together_are_a_usage_error(aws, capsys):
    assert main(["status", "--job-arn", JOB_ARN, "--stack", "Custom"]) == 2
    assert "--job-arn names the job: drop --stack" in capsys.readouterr().err


def test_a_failed_job_shows_its_failure_message(aws, capsys):
    message = "Grader Lambda [/grader] timed out"  # printed as text, never read as rich markup
    expect_job(aws, "Failed", endTime=CREATED + timedelta(minutes=12), failureMessage=message)
    assert main(["status", "--job-arn", JOB_ARN, "--region", "us-east-1"]) == 0
    out = capsys.readouterr().out
    assert "Failed" in out and message in out and "12m 00s" in out


def test_a_missing_stack_is_a_clear_message(aws, capsys, acme_config):
    aws["cloudformation"].add_client_error(
        "describe_stacks",
        "ValidationError",
        "Stack with id AcmeTraining-qa does not exist",
        expected_params={"StackName": "AcmeTraining-qa"},
    )
    assert main(["status", "--env", "qa", "--config", str(acme_config)]) == 1
    assert (
        "error: stack AcmeTraining-qa not found in us-east-1 (deploy it, or pass --job-arn)" in capsys.readouterr().err
    )


def test_a_stack_without_the_output_is_a_clear_message(aws, capsys):
    aws["cloudformation"].add_response(
        "describe_stacks",
        {"Stacks": [{"StackName": "Custom", "CreationTime": CREATED, "StackStatus": "CREATE_COMPLETE"}]},
        {"StackName": "Custom"},
    )
    assert main(["status", "--stack", "Custom"]) == 1
    assert "stack Custom has no JobArn output" in capsys.readouterr().err


def test_an_unknown_job_is_a_clear_message(aws, capsys):
    aws["bedrock"].add_client_error(
        "get_model_customization_job",
        "ResourceNotFoundException",
        "Could not find job",
        expected_params={"jobIdentifier": JOB_ARN},
    )
    assert main(["status", "--job-arn", JOB_ARN]) == 1
    err = capsys.readouterr().err
    assert "ResourceNotFoundException: Could not find job" in err and "Traceback" not in err


def test_which_job_must_be_said(aws, capsys):
    assert main(["status"]) == 2
    assert "say which job: --job-arn ARN, --env ENV or --stack NAME" in capsys.readouterr().err


def test_missing_credentials_are_a_message_not_a_traceback(monkeypatch, capsys):
    class NoCredentials:
        def get_model_customization_job(self, **kwargs):
            raise NoCredentialsError()

    monkeypatch.setattr(clients, "make_client", lambda service, region=None: NoCredentials())
    assert main(["status", "--job-arn", JOB_ARN]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: AWS: Unable to locate credentials (configure AWS credentials")
    assert "Traceback" not in err


def test_watch_polls_until_the_job_completes(aws, capsys):
    for status in ("InProgress", "InProgress"):
        expect_job(aws, status)
    expect_job(aws, "Completed", endTime=CREATED + timedelta(hours=2))
    assert main(["watch", "--job-arn", JOB_ARN, "--interval", "1"]) == 0
    out = capsys.readouterr().out
    assert "job rft-dev-1234 Completed after 2h 00m 00s" in out


def test_watch_off_a_terminal_prints_one_line_per_poll(aws, capsys, monkeypatch):
    """A log file, a pipe or CI gets a plain line per poll, and the table and the last line never run together."""
    now = CREATED + timedelta(hours=1, minutes=2, seconds=3)
    monkeypatch.setattr(cmd_jobs, "clock", lambda: now)
    expect_job(aws, "InProgress")
    expect_job(
        aws,
        "InProgress",
        statusDetails={"trainingDetails": {"status": "InProgress"}},
        trainingMetrics={"trainingLoss": 0.4125},
    )
    expect_job(aws, "Stopped", endTime=CREATED + timedelta(minutes=5), failureMessage="Stopped by the user")
    assert main(["watch", "--job-arn", JOB_ARN, "--interval", "30"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        "2026-11-25T09:02:03Z InProgress elapsed 1h 02m 03s",
        "2026-11-25T09:02:03Z InProgress elapsed 1h 02m 03s training InProgress trainingLoss 0.4125",
        "2026-11-25T09:02:03Z Stopped elapsed 5m 00s",
    ]
    assert lines[-1] == "job rft-dev-1234 Stopped after 5m 00s: Stopped by the user"
    assert lines[-2].startswith("└") and lines[-2].endswith("┘")  # the job table's last line, on its own
    assert not any("\x1b" in line or "⠋" in line for line in lines)  # no cursor control, no spinner


def test_watch_off_a_terminal_waits_the_whole_interval_at_once(aws, capsys, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(cmd_jobs, "sleep", slept.append)
    expect_job(aws, "InProgress")
    expect_job(aws, "Stopped", endTime=CREATED + timedelta(minutes=5))
    assert main(["watch", "--job-arn", JOB_ARN, "--interval", "2.5"]) == 1
    assert slept == [2.5]
    assert "job rft-dev-1234 Stopped after 5m 00s" in capsys.readouterr().out


def test_watch_on_a_terminal_is_live_and_ends_on_a_new_line(aws, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(cmd_jobs, "sleep", slept.append)
    expect_job(aws, "InProgress")
    expect_job(aws, "Stopped", endTime=CREATED + timedelta(minutes=5))
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    args = build_parser().parse_args(["watch", "--job-arn", JOB_ARN, "--interval", "2.5"])
    assert cmd_jobs.run_watch(args, console) == 1
    assert slept == [1.0, 1.0, 0.5]  # the live display counts down every second while waiting
    text = screen.getvalue()
    assert "\x1b[" in text  # a terminal display (cursor control), not lines
    assert "┘\njob rft-dev-1234 Stopped after 5m 00s" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_watch_rides_out_throttling_and_reports_failure(aws, capsys):
    expect_job(aws, "InProgress")
    aws["bedrock"].add_client_error("get_model_customization_job", "ThrottlingException", "Rate exceeded")
    expect_job(aws, "Failed", endTime=CREATED + timedelta(minutes=30), failureMessage="Data validation failed")
    assert main(["watch", "--job-arn", JOB_ARN, "--interval", "1"]) == 1
    out = capsys.readouterr().out
    assert "(1 failed poll(s) in a row, retrying)" in out
    assert "Failed after 30m 00s: Data validation failed" in out


@pytest.mark.parametrize("interval", ["-1", "0", "0.5", "nan", "soon"])
def test_watch_polls_at_most_once_a_second(capsys, interval):
    assert main(["watch", "--job-arn", JOB_ARN, "--interval", interval]) == 2  # argparse: before any AWS call
    err = capsys.readouterr().err
    assert "argument --interval:" in err and ("--interval 1 or more" in err or "not a number" in err)


def test_watch_through_a_pipe_writes_each_poll_as_it_happens(tmp_path):
    """The real command in a subprocess, its output to a file (as under nohup or in CI), against moto on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        bedrock = boto3.client("bedrock", region_name="us-east-1", endpoint_url=endpoint, **keys)
        bedrock.create_model_customization_job(
            jobName="rftdev42",  # by name: moto does not decode an ARN in the path; no hyphen: not an open-weight id
            customModelName="rft-model",
            roleArn="arn:aws:iam::123456789012:role/rft",
            baseModelIdentifier="amazon.nova-2-lite-v1:0:256k",
            customizationType="REINFORCEMENT_FINE_TUNING",
            trainingDataConfig={"s3Uri": "s3://data-bucket/train.jsonl"},
            outputDataConfig={"s3Uri": "s3://data-bucket/rft-output/"},
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "lambda")]),
        }
        log = tmp_path / "watch.log"
        with log.open("w") as out:
            watch = subprocess.Popen(
                [sys.executable, "-m", "rft.commands.cli", "watch", "--job-arn", "rftdev42", "--interval", "1"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=tmp_path,
            )
            try:
                deadline = time.monotonic() + 30
                while log.read_text().count("InProgress") < 2 and time.monotonic() < deadline:
                    time.sleep(0.1)  # two polls reach the file while the job runs
                assert log.read_text().count("InProgress") >= 2, log.read_text()
                bedrock.stop_model_customization_job(jobIdentifier="rftdev42")
                assert watch.wait(timeout=30) == 1
            finally:
                if watch.poll() is None:
                    watch.kill()
    finally:
        server.stop()
    lines = log.read_text().splitlines()
    polls = [line for line in lines if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \w+ elapsed .*", line)]
    assert len(polls) >= 3 and polls[-1].split()[1] == "Stopped"
    assert lines[-1].startswith("job rftdev42 Stopped after ")
    assert lines[-2].startswith("└")  # the final table ends before the message starts
