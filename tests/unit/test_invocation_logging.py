"""The invocation-logging custom resource: create keeps the previous configuration, delete restores it."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from invocation_logging.index import PHYSICAL_ID_PREFIX, desired_config, on_event

PROPS = {"BucketName": "logs-bucket", "KeyPrefix": "bedrock/"}
PREVIOUS = {
    "cloudWatchConfig": {"logGroupName": "g", "roleArn": "arn:aws:iam::111111111111:role/r"},
    "textDataDeliveryEnabled": True,
}


def _bedrock():
    return boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_create_reads_then_puts_and_keeps_the_previous_configuration():
    bed = _bedrock()
    with Stubber(bed) as stub:
        stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": PREVIOUS})
        stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": desired_config(PROPS)})
        answer = on_event({"RequestType": "Create", "ResourceProperties": PROPS}, bedrock=bed)
        stub.assert_no_pending_responses()
    assert (
        answer["PhysicalResourceId"].startswith(PHYSICAL_ID_PREFIX)
        and '"logGroupName": "g"' in answer["PhysicalResourceId"]
    )
    assert desired_config(PROPS)["s3Config"] == {"bucketName": "logs-bucket", "keyPrefix": "bedrock/"}


def test_update_puts_the_new_destination_and_keeps_what_to_restore():
    bed = _bedrock()
    physical = PHYSICAL_ID_PREFIX + "null"
    new = {"BucketName": "other"}
    with Stubber(bed) as stub:
        stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": desired_config(new)})
        answer = on_event(
            {
                "RequestType": "Update",
                "PhysicalResourceId": physical,
                "ResourceProperties": new,
                "OldResourceProperties": PROPS,
            },
            bedrock=bed,
        )
        stub.assert_no_pending_responses()
    assert answer["PhysicalResourceId"] == physical


def test_delete_restores_the_previous_configuration():
    bed = _bedrock()
    create = _bedrock()
    with Stubber(create) as stub:
        stub.add_response("get_model_invocation_logging_configuration", {"loggingConfig": PREVIOUS})
        stub.add_response("put_model_invocation_logging_configuration", {})
        physical = on_event({"RequestType": "Create", "ResourceProperties": PROPS}, bedrock=create)[
            "PhysicalResourceId"
        ]
    with Stubber(bed) as stub:
        stub.add_response("put_model_invocation_logging_configuration", {}, {"loggingConfig": PREVIOUS})
        on_event({"RequestType": "Delete", "PhysicalResourceId": physical, "ResourceProperties": PROPS}, bedrock=bed)
        stub.assert_no_pending_responses()


def test_delete_without_a_previous_configuration_turns_logging_off():
    bed = _bedrock()
    with Stubber(bed) as stub:
        stub.add_response("delete_model_invocation_logging_configuration", {})
        on_event(
            {"RequestType": "Delete", "PhysicalResourceId": PHYSICAL_ID_PREFIX + "null", "ResourceProperties": PROPS},
            bedrock=bed,
        )
        stub.assert_no_pending_responses()
