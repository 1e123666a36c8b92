"""Lambda entry points of the evaluation state machine (thin: environment, clients, then ``steps``)."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
from botocore.config import Config

from . import steps

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
# Converse throttling is retried by the state machine (visible there), so the client tries once.
_RUNTIME_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=600)
_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"})


def on_resolve(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return steps.resolve(
        boto3.client("bedrock", config=_CLIENT_CONFIG),
        boto3.client("ssm", config=_CLIENT_CONFIG),
        parameter_name=os.environ["DEPLOYMENT_PARAMETER"],
        event=event,
    )


def on_answer(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """``{"row", "index", "side": "base"|"tuned", "modelId"}`` -> the grader item and the answer."""
    settings = steps.InferenceSettings(
        max_tokens=int(os.environ["MAX_TOKENS"]) if os.environ.get("MAX_TOKENS") else None,
        reasoning_effort=os.environ.get("REASONING_EFFORT") or None,
    )
    return steps.answer(
        boto3.client("bedrock-runtime", config=_RUNTIME_CONFIG),
        row=event["row"],
        index=int(event["index"]),
        side=event["side"],
        model_id=event["modelId"],
        settings=settings,
    )


def on_record(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """``{"row", "index", "jobName", "answers": [base, tuned], "grades": [...]}`` -> the row file in S3."""
    record = steps.row_record(
        row=event["row"], index=int(event["index"]), answers=event["answers"], grades=event["grades"]
    )
    key = steps.record(
        boto3.client("s3", config=_CLIENT_CONFIG),
        bucket=os.environ["BUCKET"],
        prefix=os.environ["RESULTS_PREFIX"],
        job_name=event["jobName"],
        row_record_=record,
    )
    return {"index": record["index"], "key": key}


def on_summarize(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    details = {
        "base model": os.environ.get("BASE_MODEL_ID", ""),
        "tuned deployment": event.get("deploymentArn", ""),
        "grader": os.environ.get("GRADER_FUNCTION", ""),
        "evaluation set": os.environ.get("DATASET_KEY", ""),
    }
    outcome = steps.summarize_and_publish(
        s3=boto3.client("s3", config=_CLIENT_CONFIG),
        sns=boto3.client("sns", config=_CLIENT_CONFIG),
        cloudwatch=boto3.client("cloudwatch", config=_CLIENT_CONFIG),
        bucket=os.environ["BUCKET"],
        prefix=os.environ["RESULTS_PREFIX"],
        job_name=event["jobName"],
        topic_arn=os.environ["TOPIC_ARN"],
        environment=os.environ.get("ENVIRONMENT", ""),
        details=details,
    )
    logging.getLogger(__name__).info("outcome: %s", json.dumps(outcome))
    return outcome
