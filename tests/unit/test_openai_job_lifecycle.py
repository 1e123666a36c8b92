"""The open-weight job custom resource against a loopback stand-in of the OpenAI-compatible API, via the real client."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from rft_job_openweight import job_spec
from rft_job_openweight.auth import openai_client
from rft_job_openweight.lifecycle import MAX_RERUNS, JobRequestFailed, OpenWeightJobLifecycle
from rft_job_openweight.poller import poll
from tests.support.openai_finetuning_standin import OpenAIFineTuningStandin

TRAINING = b'{"messages": [{"role": "user", "content": "2+2?"}], "reference_answer": "4"}\n'
VALIDATION = b'{"messages": [{"role": "user", "content": "3+3?"}], "reference_answer": "6"}\n'
GRADER = "arn:aws:lambda:us-west-2:123456789012:function:rft-dev-math"


class FakeS3:
    """Only ``get_object``, the one call the lifecycle makes; it records every read."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects
        self.reads: list[tuple[str, str]] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.reads.append((Bucket, Key))
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


def properties(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-west-2:123456789012:function:provider",
        "JobNamePrefix": "rft-dev",
        "BaseModelIdentifier": "openai.gpt-oss-20b",
        "GraderLambdaArn": GRADER,
        "TrainingDataS3Uri": "s3://data/training/train.jsonl",
        "ValidationDataS3Uri": "s3://data/training/val.jsonl",
        "HyperParameters": {"n_epochs": "2", "batch_size": "4", "learning_rate_multiplier": "1.0"},
        "InputsFingerprint": "dataset=aaa;grader-code=bbb;grader-settings=ccc",
        "Tags": {"rft:environment": "dev"},
    }
    props.update(overrides)
    return props


@pytest.fixture
def api() -> Iterator[OpenAIFineTuningStandin]:
    with OpenAIFineTuningStandin() as standin:
        yield standin


@pytest.fixture
def s3() -> FakeS3:
    return FakeS3({("data", "training/train.jsonl"): TRAINING, ("data", "training/val.jsonl"): VALIDATION})


def lifecycle(api: OpenAIFineTuningStandin, s3: FakeS3, **kwargs: Any) -> OpenWeightJobLifecycle:
    client = openai_client("us-west-2", base_url=api.base_url, api_key="short-term-key", max_retries=0)
    return OpenWeightJobLifecycle(client, s3, **kwargs)


def test_create_uploads_both_files_and_starts_a_reinforcement_job(api, s3) -> None:
    response = lifecycle(api, s3).create(properties())
    job = api.state.jobs[response["PhysicalResourceId"]]
    name = job_spec.job_name(properties())
    assert response["Data"] == {
        "JobId": job["id"],
        "JobName": name,
        "TrainingFileId": job["training_file"],
        "BaseModel": "openai.gpt-oss-20b",
    }
    assert api.state.file_bytes[job["training_file"]] == TRAINING
    assert api.state.file_bytes[job["validation_file"]] == VALIDATION
    assert {f["filename"] for f in api.state.files.values()} == {f"{name}-training.jsonl", f"{name}-validation.jsonl"}
    assert job["method"] == {
        "type": "reinforcement",
        "reinforcement": {
            "grader": {"type": "lambda", "lambda": {"function": GRADER}},
            "hyperparameters": {"n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 1.0},
        },
    }
    assert job["metadata"][job_spec.NAME_KEY] == name and job["metadata"]["rft:environment"] == "dev"
    assert job["suffix"] is None  # AWS: suffix "is not supported"
    assert set(api.state.tokens) == {"short-term-key"}


def test_retried_create_adopts_the_running_job(api, s3) -> None:
    first = lifecycle(api, s3).create(properties())
    api.set_status(first["PhysicalResourceId"], "running")
    second = lifecycle(api, s3).create(properties())
    assert second == first
    assert len(api.state.jobs) == 1 and len(api.state.files) == 2 and api.operations().count("files.create") == 2


def test_retry_after_upload_but_before_the_job_reuses_the_uploaded_files(api, s3) -> None:
    api.fail_next("jobs.create", 500, "internal error")
    with pytest.raises(JobRequestFailed, match="HTTP 500: internal error"):
        lifecycle(api, s3).create(properties())
    assert api.state.files == {}  # the failed create deleted what it uploaded
    response = lifecycle(api, s3).create(properties())
    assert len(api.state.jobs) == 1 and response["PhysicalResourceId"] in api.state.jobs


def test_adoption_works_when_the_service_drops_metadata(api, s3) -> None:
    first = lifecycle(api, s3).create(properties())
    api.state.jobs[first["PhysicalResourceId"]]["metadata"] = None
    assert lifecycle(api, s3).create(properties())["PhysicalResourceId"] == first["PhysicalResourceId"]
    assert len(api.state.jobs) == 1


@pytest.mark.parametrize("final", ["failed", "cancelled"])
def test_same_inputs_after_a_failed_or_cancelled_job_start_a_rerun(api, s3, final: str) -> None:
    first = lifecycle(api, s3).create(properties())
    api.set_status(first["PhysicalResourceId"], final)
    second = lifecycle(api, s3).create(properties())
    assert second["PhysicalResourceId"] != first["PhysicalResourceId"]
    assert second["Data"]["JobName"] == job_spec.job_name(properties(), 2)


def test_gives_up_after_max_reruns(api, s3) -> None:
    life = lifecycle(api, s3)
    for _ in range(MAX_RERUNS):
        api.set_status(life.create(properties())["PhysicalResourceId"], "failed")
    with pytest.raises(JobRequestFailed, match=f"gave up after {MAX_RERUNS}"):
        life.create(properties())


def test_update_with_unchanged_inputs_keeps_the_job(api, s3) -> None:
    created = lifecycle(api, s3).create(properties())
    updated = lifecycle(api, s3).update(
        properties(Tags={"rft:environment": "renamed"}), properties(), created["PhysicalResourceId"]
    )
    assert updated == created and len(api.state.jobs) == 1


def test_update_with_changed_inputs_starts_a_new_job(api, s3) -> None:
    created = lifecycle(api, s3).create(properties())
    changed = properties(InputsFingerprint="dataset=zzz;grader-code=bbb;grader-settings=ccc")
    updated = lifecycle(api, s3).update(changed, properties(), created["PhysicalResourceId"])
    assert updated["PhysicalResourceId"] != created["PhysicalResourceId"] and len(api.state.jobs) == 2
    assert api.state.jobs[created["PhysicalResourceId"]]["status"] == "validating_files"  # CloudFormation deletes it


def test_delete_of_a_running_job_cancels_it_and_deletes_its_files(api, s3) -> None:
    job_id = lifecycle(api, s3).create(properties())["PhysicalResourceId"]
    api.set_status(job_id, "running")
    assert lifecycle(api, s3).delete(job_id) == {"PhysicalResourceId": job_id}
    assert api.state.jobs[job_id]["status"] == "cancelled" and api.state.files == {}


def test_delete_of_a_finished_job_keeps_it(api, s3) -> None:
    job_id = lifecycle(api, s3).create(properties())["PhysicalResourceId"]
    api.set_status(job_id, "succeeded", fine_tuned_model="openai.gpt-oss-20b:ft:rft-dev")
    lifecycle(api, s3).delete(job_id)
    assert api.state.jobs[job_id]["status"] == "succeeded" and "jobs.cancel" not in api.operations()


@pytest.mark.parametrize("physical_id", ["", "2f9c1e0a-request-id", "ftjob-999999"])
def test_delete_of_a_never_created_job_does_nothing(api, s3, physical_id: str) -> None:
    assert lifecycle(api, s3).delete(physical_id) == {"PhysicalResourceId": physical_id}
    assert "jobs.cancel" not in api.operations()


def test_cancel_racing_the_end_of_the_job_is_not_an_error(api, s3) -> None:
    job_id = lifecycle(api, s3).create(properties())["PhysicalResourceId"]
    api.set_status(job_id, "running")
    api.fail_next("jobs.cancel", 400, f"Job {job_id} has already succeeded")
    lifecycle(api, s3).delete(job_id)


def test_service_error_surfaces_with_its_own_message(api, s3) -> None:
    api.fail_next("jobs.create", 400, "Model openai.gpt-oss-20b is not available for fine-tuning in this region")
    with pytest.raises(JobRequestFailed) as err:
        lifecycle(api, s3).create(properties())
    assert str(err.value) == (
        "Bedrock OpenAI-compatible fine_tuning.jobs.create failed: HTTP 400: "
        "Model openai.gpt-oss-20b is not available for fine-tuning in this region"
    )
    assert api.state.files == {}


def test_permission_errors_are_retried_while_iam_propagates(api, s3) -> None:
    ticks = iter(range(0, 1000, 10))
    sleeps: list[float] = []
    api.fail_next("jobs.create", 403, "not authorized to perform bedrock-mantle:CreateFineTuningJob")
    life = lifecycle(api, s3, sleep=sleeps.append, clock=lambda: float(next(ticks)))
    assert life.create(properties())["PhysicalResourceId"] in api.state.jobs
    assert sleeps == [10]


def test_bad_hyperparameters_fail_before_anything_is_uploaded_remains(api, s3) -> None:
    with pytest.raises(job_spec.SpecError, match="unknown fields \\['epochCount'\\]"):
        lifecycle(api, s3).create(properties(HyperParameters={"epochCount": "2"}))
    assert api.state.files == {} and api.state.jobs == {}


def test_handle_routes_cloudformation_requests(api, s3) -> None:
    life = lifecycle(api, s3)
    created = life.handle({"RequestType": "Create", "ResourceProperties": properties()})
    kept = life.handle(
        {
            "RequestType": "Update",
            "ResourceProperties": properties(),
            "OldResourceProperties": properties(),
            "PhysicalResourceId": created["PhysicalResourceId"],
        }
    )
    assert kept["PhysicalResourceId"] == created["PhysicalResourceId"]
    life.handle({"RequestType": "Delete", "PhysicalResourceId": created["PhysicalResourceId"]})
    assert api.state.jobs[created["PhysicalResourceId"]]["status"] == "cancelled"


class RecordingSns:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    def publish(self, **kwargs: str) -> None:
        self.messages.append(kwargs)


def test_poller_announces_each_finished_job_of_this_pipeline_once(api, s3, caplog) -> None:
    caplog.set_level(logging.INFO)
    mine = lifecycle(api, s3).create(properties())["PhysicalResourceId"]
    other = lifecycle(api, s3).create(properties(JobNamePrefix="someone-else"))["PhysicalResourceId"]
    running = lifecycle(api, s3).create(properties(InputsFingerprint="x"))["PhysicalResourceId"]
    api.set_status(mine, "failed", error={"code": "grader_error", "message": "reward Lambda timed out"})
    api.set_status(other, "succeeded")
    api.set_status(running, "running")
    finished_at = api.state.jobs[mine]["finished_at"]
    client = openai_client("us-west-2", base_url=api.base_url, api_key="k", max_retries=0)
    sns = RecordingSns()
    args: dict[str, Any] = {
        "topic_arn": "arn:aws:sns:us-west-2:123456789012:t",
        "prefix": "rft-dev",
        "window_seconds": 300,
        "project": "rft",
        "environment": "dev",
    }
    assert poll(client, sns, now=lambda: finished_at + 1, **args) == 1
    assert sns.messages[0]["Subject"] == f"RFT job {job_spec.job_name(properties())} Failed"
    assert '"failureMessage": "reward Lambda timed out"' in sns.messages[0]["Message"]
    assert poll(client, sns, now=lambda: finished_at + 301, **args) == 0  # the next window: not again
