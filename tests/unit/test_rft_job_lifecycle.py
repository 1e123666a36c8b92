"""The training-job custom resource against botocore's Stubber (real Bedrock service model)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from rft_job.custom_resource import job_spec
from rft_job.custom_resource.lifecycle import JobLifecycle, JobRequestFailed

ACCOUNT = "123456789012"
JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/amazon.nova-2-lite-v1:0:256k/abc123"
NEW_JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/amazon.nova-2-lite-v1:0:256k/def456"
PROPERTIES: dict[str, Any] = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
    "JobNamePrefix": "rft-dev",
    "BaseModelIdentifier": "amazon.nova-2-lite-v1:0:256k",
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/rft-bedrock-service",
    "GraderLambdaArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:rft-dev-math-grader",
    "TrainingDataS3Uri": "s3://rft-data-bucket/training/math_word_problems.jsonl",
    "OutputDataS3Uri": "s3://rft-data-bucket/output/",
    # CloudFormation passes every property value as a string.
    "HyperParameters": {
        "epochCount": "2",
        "batchSize": "64",
        "learningRate": "1e-05",
        "trainingSamplePerPrompt": "4",
        "maxPromptLength": "4096",
        "inferenceMaxTokens": "8192",
        "reasoningEffort": "high",
        "evalInterval": "10",
    },
    "InputsFingerprint": "dataset=aa11;grader=bb22",
    "Tags": {"rft:environment": "dev"},
}


@pytest.fixture
def bedrock():
    client = boto3.client(
        "bedrock", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def lifecycle(client, sleeps=None):
    return JobLifecycle(client, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def job(status: str, arn: str = JOB_ARN, name: str = "rft-dev-x") -> dict:
    return {
        "jobArn": arn,
        "jobName": name,
        "outputModelName": "rft-dev-model-x",
        "roleArn": PROPERTIES["RoleArn"],
        "creationTime": dt.datetime(2026, 11, 25),
        "baseModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-2-lite-v1:0:256k",
        "trainingDataConfig": {"s3Uri": PROPERTIES["TrainingDataS3Uri"]},
        "validationDataConfig": {"validators": []},
        "outputDataConfig": {"s3Uri": PROPERTIES["OutputDataS3Uri"]},
        "status": status,
        "customizationType": "REINFORCEMENT_FINE_TUNING",
    }


def not_found(stubber, operation="get_model_customization_job", **params):
    stubber.add_client_error(operation, "ResourceNotFoundException", "no such job", 404, expected_params=params or None)


def expected_create_request(attempt: int = 1) -> dict:
    name, model, token = job_spec.names(PROPERTIES, attempt)
    return {
        "jobName": name,
        "customModelName": model,
        "clientRequestToken": token,
        "roleArn": PROPERTIES["RoleArn"],
        "baseModelIdentifier": "amazon.nova-2-lite-v1:0:256k",
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        "trainingDataConfig": {"s3Uri": PROPERTIES["TrainingDataS3Uri"]},
        "outputDataConfig": {"s3Uri": PROPERTIES["OutputDataS3Uri"]},
        "customizationConfig": {
            "rftConfig": {
                "graderConfig": {"lambdaGrader": {"lambdaArn": PROPERTIES["GraderLambdaArn"]}},
                "hyperParameters": {
                    "epochCount": 2,
                    "batchSize": 64,
                    "learningRate": 1e-05,
                    "trainingSamplePerPrompt": 4,
                    "maxPromptLength": 4096,
                    "inferenceMaxTokens": 8192,
                    "reasoningEffort": "high",
                    "evalInterval": 10,
                },
            }
        },
        "jobTags": [{"key": "rft:environment", "value": "dev"}],
        "customModelTags": [{"key": "rft:environment", "value": "dev"}],
    }


def test_create_starts_an_rft_job_with_typed_hyperparameters_and_returns_its_arn(bedrock):
    client, stubber = bedrock
    request = expected_create_request()
    not_found(stubber, jobIdentifier=request["jobName"])
    stubber.add_response("create_model_customization_job", {"jobArn": JOB_ARN}, request)

    response = lifecycle(client).handle({"RequestType": "Create", "ResourceProperties": PROPERTIES})

    assert response == {
        "PhysicalResourceId": JOB_ARN,
        "Data": {"JobArn": JOB_ARN, "JobName": request["jobName"], "CustomModelName": request["customModelName"]},
    }


def test_names_follow_bedrock_patterns_and_change_with_every_training_input():
    import re

    name, model, token = job_spec.names(PROPERTIES)
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9+\-.])*", name) and len(name) <= 63
    assert re.fullmatch(r"([0-9a-zA-Z][_-]?){1,63}", model)
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", token)
    for key, value in [
        ("InputsFingerprint", "dataset=cc33;grader=bb22"),
        ("GraderLambdaArn", "arn:other"),
        ("HyperParameters", {**PROPERTIES["HyperParameters"], "epochCount": "3"}),
    ]:
        assert job_spec.names({**PROPERTIES, key: value})[0] != name, key
    assert job_spec.names({**PROPERTIES, "Tags": {"team": "x"}, "ServiceToken": "other"})[0] == name


def test_retried_create_adopts_the_job_it_already_started(bedrock):
    client, stubber = bedrock
    name = job_spec.names(PROPERTIES)[0]
    stubber.add_response("get_model_customization_job", job("InProgress", name=name), {"jobIdentifier": name})

    response = lifecycle(client).create(PROPERTIES)

    assert response["PhysicalResourceId"] == JOB_ARN  # no second CreateModelCustomizationJob


def test_create_after_a_stopped_run_of_the_same_inputs_starts_a_rerun(bedrock):
    client, stubber = bedrock
    first, second = job_spec.names(PROPERTIES, 1)[0], job_spec.names(PROPERTIES, 2)[0]
    stubber.add_response("get_model_customization_job", job("Stopped", name=first), {"jobIdentifier": first})
    not_found(stubber, jobIdentifier=second)
    stubber.add_response("create_model_customization_job", {"jobArn": NEW_JOB_ARN}, expected_create_request(2))

    assert lifecycle(client).create(PROPERTIES)["PhysicalResourceId"] == NEW_JOB_ARN


def test_update_with_unchanged_inputs_starts_nothing(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_model_customization_job", job("InProgress"), {"jobIdentifier": JOB_ARN})
    event = {
        "RequestType": "Update",
        "PhysicalResourceId": JOB_ARN,
        "ResourceProperties": PROPERTIES,
        "OldResourceProperties": {**PROPERTIES, "Tags": {"owner": "someone"}},
    }

    response = lifecycle(client).handle(event)

    assert response["PhysicalResourceId"] == JOB_ARN
    assert response["Data"]["JobName"] == "rft-dev-x"


def test_update_with_changed_inputs_starts_a_new_job_with_a_new_physical_id(bedrock):
    client, stubber = bedrock
    changed = {**PROPERTIES, "InputsFingerprint": "dataset=new;grader=bb22"}
    name = job_spec.names(changed)[0]
    not_found(stubber, jobIdentifier=name)
    stubber.add_response(
        "create_model_customization_job",
        {"jobArn": NEW_JOB_ARN},
        {
            **expected_create_request(),
            **dict(zip(("jobName", "customModelName", "clientRequestToken"), job_spec.names(changed))),
        },
    )
    event = {
        "RequestType": "Update",
        "PhysicalResourceId": JOB_ARN,
        "ResourceProperties": changed,
        "OldResourceProperties": PROPERTIES,
    }

    assert lifecycle(client).handle(event)["PhysicalResourceId"] == NEW_JOB_ARN


def test_delete_stops_a_running_job(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_model_customization_job", job("InProgress"), {"jobIdentifier": JOB_ARN})
    stubber.add_response("stop_model_customization_job", {}, {"jobIdentifier": JOB_ARN})

    assert lifecycle(client).handle(
        {"RequestType": "Delete", "PhysicalResourceId": JOB_ARN, "ResourceProperties": PROPERTIES}
    ) == {"PhysicalResourceId": JOB_ARN}


@pytest.mark.parametrize("status", ["Completed", "Failed", "Stopped", "Stopping"])
def test_delete_of_a_finished_job_keeps_the_model_and_calls_no_stop(bedrock, status):
    client, stubber = bedrock
    stubber.add_response("get_model_customization_job", job(status), {"jobIdentifier": JOB_ARN})

    assert lifecycle(client).delete(JOB_ARN) == {"PhysicalResourceId": JOB_ARN}


def test_delete_when_the_job_finished_between_read_and_stop_succeeds(bedrock):
    client, stubber = bedrock
    stubber.add_response("get_model_customization_job", job("InProgress"), {"jobIdentifier": JOB_ARN})
    stubber.add_client_error("stop_model_customization_job", "ConflictException", "job is not in progress", 409)

    assert lifecycle(client).delete(JOB_ARN) == {"PhysicalResourceId": JOB_ARN}


def test_delete_of_a_job_that_no_longer_exists_succeeds(bedrock):
    client, stubber = bedrock
    not_found(stubber, jobIdentifier=JOB_ARN)

    assert lifecycle(client).delete(JOB_ARN) == {"PhysicalResourceId": JOB_ARN}


def test_delete_after_a_failed_create_calls_nothing(bedrock):
    client, _ = bedrock  # Stubber fails the test on any unexpected call
    failed_id = "AWSCDK::CustomResourceProviderFramework::CREATE_FAILED"

    assert lifecycle(client).handle(
        {"RequestType": "Delete", "PhysicalResourceId": failed_id, "ResourceProperties": PROPERTIES}
    ) == {"PhysicalResourceId": failed_id}


@pytest.mark.parametrize(
    "code,message",
    [
        ("ValidationException", "The provided training data has fewer than 100 records"),
        ("ServiceQuotaExceededException", "Concurrent model customization jobs limit reached"),
        ("ThrottlingException", "Rate exceeded"),
    ],
)
def test_bedrock_errors_fail_the_resource_with_bedrocks_message(bedrock, code, message):
    client, stubber = bedrock
    not_found(stubber)
    stubber.add_client_error("create_model_customization_job", code, message, 400)

    with pytest.raises(JobRequestFailed, match=f"{code}: {message}"):
        lifecycle(client).create(PROPERTIES)


def test_create_retries_while_a_new_service_role_propagates(bedrock):
    client, stubber = bedrock
    not_found(stubber)
    stubber.add_client_error(
        "create_model_customization_job", "ValidationException", "Could not assume the provided role", 400
    )
    stubber.add_response("create_model_customization_job", {"jobArn": JOB_ARN}, expected_create_request())
    sleeps: list[float] = []

    assert lifecycle(client, sleeps).create(PROPERTIES)["PhysicalResourceId"] == JOB_ARN
    assert sleeps == [10]


def test_invocation_logs_become_invocation_logs_config_and_validation_data_is_passed():
    properties = {
        **PROPERTIES,
        "TrainingDataS3Uri": "",
        "ValidationDataS3Uri": "s3://b/validation/v.jsonl",
        "InvocationLogs": '{"usePromptResponse": "true", "invocationLogSource": {"s3Uri": "s3://logs/"},'
        ' "requestMetadataFilters": {"equals": {"task": "math"}}}',
    }
    request = job_spec.create_request(properties)
    assert request["trainingDataConfig"] == {
        "invocationLogsConfig": {
            "usePromptResponse": True,
            "invocationLogSource": {"s3Uri": "s3://logs/"},
            "requestMetadataFilters": {"equals": {"task": "math"}},
        }
    }
    assert request["validationDataConfig"] == {"validators": [{"s3Uri": "s3://b/validation/v.jsonl"}]}
    client = boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stubber:  # the request is valid against the service model
        stubber.add_response("create_model_customization_job", {"jobArn": JOB_ARN}, request)
        client.create_model_customization_job(**request)


def test_bad_hyperparameters_are_reported_not_sent():
    with pytest.raises(job_spec.SpecError, match="HyperParameters"):
        job_spec.create_request({**PROPERTIES, "HyperParameters": {"epochCount": "two"}})
    with pytest.raises(job_spec.SpecError, match="unknown fields"):
        job_spec.create_request({**PROPERTIES, "HyperParameters": {"epochs": "2"}})


def test_handler_module_builds_a_client_and_delegates(monkeypatch):
    from rft_job.custom_resource import index

    class FakeLifecycle:
        def __init__(self, client):
            self.client = client

        def handle(self, event):
            return {"PhysicalResourceId": "x", "seen": event["RequestType"], "client": type(self.client).__name__}

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(index, "JobLifecycle", FakeLifecycle)
    out = index.on_event({"RequestType": "Delete", "PhysicalResourceId": "x", "ResponseURL": "https://secret"})
    assert out["seen"] == "Delete" and out["client"] == "Bedrock"
