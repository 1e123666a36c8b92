"""The job-event handler (deploy on Completed, explain Failed/Stopped) and the deployment clean-up,
against botocore's Stubber: every request and response is checked against the real service models
(moto does not implement the custom-model deployment API)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from rft_job.events import naming
from rft_job.events.cleanup import CleanupFailed, DeploymentCleanup
from rft_job.events.completion import JobEventProcessor, Settings
from rft_job.events.index import settings_from_env

ACCOUNT = "123456789012"
JOB_NAME = "rft-dev-0123456789ab"
MODEL_NAME = "rft-dev-model-0123456789ab"
JOB_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-customization-job/amazon.nova-2-lite-v1:0:256k/abcdef123456"
MODEL_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model/amazon.nova-2-lite-v1:0:256k/mdl123456789"
DEPLOYMENT_ARN = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:custom-model-deployment/dep123456789"
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:rft-dev-notifications"
PARAMETER = "/rft/dev/custom-model-deployment-arn"
SETTINGS = Settings(
    topic_arn=TOPIC_ARN,
    parameter_name=PARAMETER,
    job_name_prefix="rft-dev-",
    tags={"rft:environment": "dev"},
    model_wait_seconds=60,
    model_poll_seconds=20,
)
DEPLOYMENT_NAME = f"{MODEL_NAME}-deployment"


def job_event(status: str, **detail: str) -> dict:
    """An EventBridge ``Model Customization Job State Change`` event as Bedrock sends it."""
    body = {
        "jobName": JOB_NAME,
        "jobArn": JOB_ARN,
        "jobStatus": status,
        "creationTime": "2026-11-25T10:00:00Z",
        "endTime": "2026-11-25T15:00:00Z",
        **detail,
    }
    if status == "Completed":
        body.setdefault("outputModelArn", MODEL_ARN)
        body.setdefault("outputModelName", MODEL_NAME)
    return {
        "version": "0",
        "id": "e1",
        "detail-type": "Model Customization Job State Change",
        "source": "aws.bedrock",
        "account": ACCOUNT,
        "region": "us-east-1",
        "resources": [JOB_ARN],
        "detail": body,
    }


def client(service: str):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


class Clients:
    def __init__(self) -> None:
        self.bedrock, self.ssm, self.sns = client("bedrock"), client("ssm"), client("sns")
        self.stubs = {name: Stubber(getattr(self, name)) for name in ("bedrock", "ssm", "sns")}
        self.published: list[dict] = []

    def processor(self, sleeps: list | None = None, clock=None) -> JobEventProcessor:
        return JobEventProcessor(
            bedrock=self.bedrock,
            ssm=self.ssm,
            sns=self.sns,
            settings=SETTINGS,
            sleep=(sleeps.append if sleeps is not None else lambda s: None),
            clock=clock or (lambda: 0.0),
        )

    def expect_publish(self, subject: str) -> None:
        self.stubs["sns"].add_response(
            "publish",
            {"MessageId": f"m{len(self.published)}"},
            expected_params={"TopicArn": TOPIC_ARN, "Subject": subject, "Message": _Capture(self.published)},
        )


class _Capture:
    """Matches any message and keeps it, so tests can read what people are told."""

    def __init__(self, sink: list) -> None:
        self.sink = sink

    def __eq__(self, other: object) -> bool:
        self.sink.append(other)
        return isinstance(other, str)


@pytest.fixture
def aws():
    clients = Clients()
    for stub in clients.stubs.values():
        stub.activate()
    yield clients
    for stub in clients.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def model(status: str = "Active", **extra) -> dict:
    return {
        "modelArn": MODEL_ARN,
        "modelName": MODEL_NAME,
        "jobArn": JOB_ARN,
        "jobName": JOB_NAME,
        "creationTime": dt.datetime(2026, 11, 25),
        "modelStatus": status,
        "customizationType": "REINFORCEMENT_FINE_TUNING",
        **extra,
    }


def deployment(status: str = "Active", model_arn: str = MODEL_ARN) -> dict:
    return {
        "customModelDeploymentArn": DEPLOYMENT_ARN,
        "modelDeploymentName": DEPLOYMENT_NAME,
        "modelArn": model_arn,
        "createdAt": dt.datetime(2026, 11, 25),
        "status": status,
    }


def expect_model(aws: Clients, status: str = "Active", **extra) -> None:
    aws.stubs["bedrock"].add_response(
        "get_custom_model", model(status, **extra), expected_params={"modelIdentifier": MODEL_ARN}
    )


def expect_no_deployment(aws: Clients) -> None:
    aws.stubs["bedrock"].add_client_error(
        "get_custom_model_deployment",
        "ResourceNotFoundException",
        "no such deployment",
        404,
        expected_params={"customModelDeploymentIdentifier": DEPLOYMENT_NAME},
    )


def expect_create(aws: Clients) -> None:
    aws.stubs["bedrock"].add_response(
        "create_custom_model_deployment",
        {"customModelDeploymentArn": DEPLOYMENT_ARN},
        expected_params={
            "modelDeploymentName": DEPLOYMENT_NAME,
            "modelArn": MODEL_ARN,
            "description": f"On-demand inference for the model trained by RFT job {JOB_NAME}",
            "clientRequestToken": naming.request_token(JOB_ARN),
            "tags": [{"key": "rft:environment", "value": "dev"}],
        },
    )


def expect_recorded(aws: Clients, value: str | None) -> None:
    if value is None:
        aws.stubs["ssm"].add_client_error(
            "get_parameter", "ParameterNotFound", "", 400, expected_params={"Name": PARAMETER}
        )
    else:
        aws.stubs["ssm"].add_response(
            "get_parameter",
            {"Parameter": {"Name": PARAMETER, "Type": "String", "Value": value}},
            expected_params={"Name": PARAMETER},
        )


def expect_record(aws: Clients) -> None:
    aws.stubs["ssm"].add_response(
        "put_parameter",
        {"Version": 1},
        expected_params={
            "Name": PARAMETER,
            "Value": DEPLOYMENT_ARN,
            "Type": "String",
            "Overwrite": True,
            "Description": "On-demand deployment of the latest model this RFT pipeline trained",
        },
    )


# Completed


def test_completed_job_deploys_its_model_records_the_arn_and_notifies_it(aws):
    expect_model(aws)
    expect_no_deployment(aws)
    expect_create(aws)
    expect_record(aws)
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: model deployed")

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome == {"outcome": "deployed", "deploymentArn": DEPLOYMENT_ARN}
    message = aws.published[0]
    assert f"Deployment ARN (use it as modelId with InvokeModel or Converse): {DEPLOYMENT_ARN}" in message
    assert f"Custom model ARN: {MODEL_ARN}" in message and f"Recorded in SSM parameter {PARAMETER}" in message


def test_repeated_completed_event_creates_nothing_and_sends_nothing(aws):
    # Second delivery: the deployment exists under its derived name and is already recorded.
    expect_model(aws)
    aws.stubs["bedrock"].add_response(
        "get_custom_model_deployment",
        deployment("Creating"),
        expected_params={"customModelDeploymentIdentifier": DEPLOYMENT_NAME},
    )
    expect_recorded(aws, DEPLOYMENT_ARN)

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome == {"outcome": "already_deployed", "deploymentArn": DEPLOYMENT_ARN}
    assert aws.published == []  # and the Stubber saw no CreateCustomModelDeployment


def test_retry_after_a_crash_between_create_and_record_adopts_the_deployment(aws):
    expect_model(aws)
    aws.stubs["bedrock"].add_response(
        "get_custom_model_deployment",
        deployment("Active"),
        expected_params={"customModelDeploymentIdentifier": DEPLOYMENT_NAME},
    )
    expect_recorded(aws, None)
    expect_record(aws)
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: model deployed")

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome == {"outcome": "adopted", "deploymentArn": DEPLOYMENT_ARN}
    assert "already existed" in aws.published[0]


def test_model_still_creating_is_awaited_before_deploying(aws):
    ticks = iter([0.0, 0.0])  # start, after the first look
    sleeps: list[float] = []
    expect_model(aws, "Creating")
    expect_model(aws, "Active")
    expect_no_deployment(aws)
    expect_create(aws)
    expect_record(aws)
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: model deployed")

    outcome = aws.processor(sleeps, clock=lambda: next(ticks)).handle(job_event("Completed"))

    assert outcome["outcome"] == "deployed" and sleeps == [20]


def test_bedrock_error_is_notified_with_its_message_and_not_raised(aws, caplog):
    expect_model(aws)
    expect_no_deployment(aws)
    aws.stubs["bedrock"].add_client_error(
        "create_custom_model_deployment", "ServiceQuotaExceededException", "Too many custom model deployments", 400
    )
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: deployment FAILED")

    outcome = aws.processor().handle(job_event("Completed"))

    expected = "CreateCustomModelDeployment failed: ServiceQuotaExceededException: Too many custom model deployments"
    assert outcome == {"outcome": "deployment_failed", "error": expected}
    assert f"Error: {expected}" in aws.published[0] and MODEL_ARN in aws.published[0]
    assert expected in caplog.text


def test_failed_model_is_not_deployed_and_the_reason_is_notified(aws):
    expect_model(aws, "Failed", failureMessage="model artifacts are corrupt")
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: deployment FAILED")

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome["outcome"] == "deployment_failed" and "model artifacts are corrupt" in outcome["error"]


def test_model_that_never_turns_active_is_reported_not_waited_on_forever(aws):
    ticks = iter([0.0, 0.0, 61.0])  # start, after the first look, after the second
    expect_model(aws, "Creating")
    expect_model(aws, "Creating")
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: deployment FAILED")

    outcome = aws.processor(clock=lambda: next(ticks)).handle(job_event("Completed"))

    assert "still Creating after 60 s" in outcome["error"]


def test_deployment_name_taken_by_another_model_is_an_error_not_a_silent_reuse(aws):
    other = MODEL_ARN.replace("mdl123456789", "zzz123456789")
    expect_model(aws)
    aws.stubs["bedrock"].add_response("get_custom_model_deployment", deployment(model_arn=other))
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: deployment FAILED")

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome["outcome"] == "deployment_failed" and other in outcome["error"]


def test_deployment_that_cannot_be_recorded_is_still_notified_with_the_warning(aws):
    expect_model(aws)
    expect_no_deployment(aws)
    expect_create(aws)
    aws.stubs["ssm"].add_client_error("put_parameter", "AccessDeniedException", "not allowed", 400)
    aws.expect_publish(f"RFT job {JOB_NAME} Completed: model deployed")

    outcome = aws.processor().handle(job_event("Completed"))

    assert outcome["outcome"] == "deployed" and "AccessDeniedException" in outcome["recordingError"]
    assert DEPLOYMENT_ARN in aws.published[0] and f"NOT recorded in SSM parameter {PARAMETER}" in aws.published[0]


# Failed, Stopped, other pipelines


@pytest.mark.parametrize(
    "status,failure,reason",
    [
        ("Failed", "Grader Lambda returned an invalid response", "Reason: Grader Lambda returned an invalid response"),
        ("Stopped", None, "Reason: Bedrock gave no failure message (a stopped job has none)."),
    ],
)
def test_failed_or_stopped_job_deploys_nothing_and_says_why(aws, status, failure, reason):
    aws.expect_publish(f"RFT job {JOB_NAME} {status}: no model to deploy")
    event = job_event(status, **({"failureMessage": failure} if failure else {}))

    outcome = aws.processor().handle(event)

    assert outcome == {"outcome": "notified", "status": status}
    assert reason in aws.published[0] and "nothing was deployed" in aws.published[0]


def test_another_pipelines_job_is_ignored(aws):
    event = job_event("Completed")
    event["detail"]["jobName"] = "rft-prod-0123456789ab"

    assert aws.processor().handle(event)["outcome"] == "ignored"
    assert aws.published == []


def test_unreachable_topic_raises_so_lambda_retries_and_reports_it(aws):
    aws.stubs["sns"].add_client_error("publish", "KMSAccessDeniedException", "key disabled", 400)

    with pytest.raises(Exception, match="KMSAccessDenied"):
        aws.processor().handle(job_event("Failed", failureMessage="x"))


def test_long_subjects_are_cut_to_what_sns_accepts(aws):
    long_name = "rft-dev-" + "x" * 90
    aws.expect_publish(f"RFT job {long_name} Stopped: no model to deploy"[:97] + "...")
    event = job_event("Stopped")
    event["detail"]["jobName"] = long_name

    aws.processor().handle(event)


def test_settings_come_from_the_lambda_environment():
    settings = settings_from_env(
        {
            "TOPIC_ARN": TOPIC_ARN,
            "DEPLOYMENT_PARAMETER": PARAMETER,
            "JOB_NAME_PREFIX": "rft-dev-",
            "DEPLOYMENT_TAGS": json.dumps({"a": "b"}),
        }
    )
    assert (settings.topic_arn, settings.parameter_name, settings.job_name_prefix, dict(settings.tags)) == (
        TOPIC_ARN,
        PARAMETER,
        "rft-dev-",
        {"a": "b"},
    )


# Names


def test_deployment_names_fit_bedrocks_pattern_and_tokens_are_stable_per_job():
    long_model = "rft-averylongenvname-model-" + "a" * 40
    name = naming.deployment_name(long_model)
    assert len(name) <= 63 and name.endswith("-deployment") and "--" not in name
    assert name != naming.deployment_name(long_model + "b")  # the hash keeps truncated names apart
    assert naming.deployment_name("rft_dev..model") == "rft-dev-model-deployment"
    assert naming.request_token(JOB_ARN) == naming.request_token(JOB_ARN) != naming.request_token(JOB_ARN + "x")


# Clean-up custom resource


def cleanup_event(kind: str, retain: bool = False) -> dict:
    return {
        "RequestType": kind,
        "PhysicalResourceId": f"deployment-recorded-in:{PARAMETER}",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:1:function:p",
            "ParameterName": PARAMETER,
            "RetainOnDelete": str(retain).lower(),
        },
    }


def test_cleanup_delete_removes_the_recorded_deployment_and_its_parameter(aws):
    expect_recorded(aws, DEPLOYMENT_ARN)
    aws.stubs["bedrock"].add_response(
        "delete_custom_model_deployment", {}, expected_params={"customModelDeploymentIdentifier": DEPLOYMENT_ARN}
    )
    aws.stubs["ssm"].add_response("delete_parameter", {}, expected_params={"Name": PARAMETER})

    response = DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event("Delete"))

    assert response == {"PhysicalResourceId": f"deployment-recorded-in:{PARAMETER}"}


def test_cleanup_delete_with_retain_touches_nothing(aws):
    DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event("Delete", retain=True))
    # No stubbed response was queued: any Bedrock or SSM call would have raised.


def test_cleanup_delete_with_nothing_recorded_succeeds(aws):
    expect_recorded(aws, None)

    DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event("Delete"))


def test_cleanup_delete_of_a_deployment_already_gone_removes_the_parameter(aws):
    expect_recorded(aws, DEPLOYMENT_ARN)
    aws.stubs["bedrock"].add_client_error("delete_custom_model_deployment", "ResourceNotFoundException", "gone", 404)
    aws.stubs["ssm"].add_response("delete_parameter", {}, expected_params={"Name": PARAMETER})

    DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event("Delete"))


def test_cleanup_delete_refused_by_bedrock_fails_the_resource_with_the_reason(aws):
    expect_recorded(aws, DEPLOYMENT_ARN)
    aws.stubs["bedrock"].add_client_error(
        "delete_custom_model_deployment", "ConflictException", "deployment is Creating", 409
    )

    with pytest.raises(CleanupFailed, match="ConflictException: deployment is Creating"):
        DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event("Delete"))


@pytest.mark.parametrize("kind", ["Create", "Update"])
def test_cleanup_create_and_update_only_name_the_resource(aws, kind):
    response = DeploymentCleanup(bedrock=aws.bedrock, ssm=aws.ssm).handle(cleanup_event(kind))
    assert response == {"PhysicalResourceId": f"deployment-recorded-in:{PARAMETER}"}
