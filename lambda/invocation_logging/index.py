"""Custom resource: turn Bedrock model-invocation logging on with an S3 destination, and put back what was there.

Create and Update read the account's current configuration first and keep it (JSON) in the physical
resource id's companion data, then put ours; Delete restores the configuration found at Create (or
deletes ours when there was none). Logging is one setting per account and region.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

LOGGER = logging.getLogger("invocation-logging")
LOGGER.setLevel(logging.INFO)
PHYSICAL_ID_PREFIX = "bedrock-invocation-logging|"


def desired_config(props: Mapping[str, Any]) -> dict[str, Any]:
    s3 = {"bucketName": props["BucketName"]}
    if props.get("KeyPrefix"):
        s3["keyPrefix"] = props["KeyPrefix"]
    return {
        "s3Config": s3,
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": False,
        "embeddingDataDeliveryEnabled": False,
    }


def on_event(event: Mapping[str, Any], context: Any = None, *, bedrock: Any = None) -> dict[str, Any]:
    if bedrock is None:
        import boto3

        bedrock = boto3.client("bedrock")
    request = event["RequestType"]
    props = event["ResourceProperties"]
    physical_id = event.get("PhysicalResourceId") or ""
    if request == "Delete":
        previous = (
            json.loads(physical_id[len(PHYSICAL_ID_PREFIX) :] or "null")
            if physical_id.startswith(PHYSICAL_ID_PREFIX)
            else None
        )
        if previous:
            bedrock.put_model_invocation_logging_configuration(loggingConfig=previous)
            LOGGER.info("restored the previous invocation logging configuration")
        else:
            bedrock.delete_model_invocation_logging_configuration()
            LOGGER.info("no previous configuration: invocation logging turned off")
        return {"PhysicalResourceId": physical_id}
    if request == "Create":
        previous = bedrock.get_model_invocation_logging_configuration().get("loggingConfig")
        # The physical id holds what to restore (no other state survives between events).
        physical_id = PHYSICAL_ID_PREFIX + json.dumps(previous or None, sort_keys=True, default=str)
    bedrock.put_model_invocation_logging_configuration(loggingConfig=desired_config(props))
    return {"PhysicalResourceId": physical_id, "Data": {"BucketName": props["BucketName"]}}
