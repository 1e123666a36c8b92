"""Lambda entry points: ``rft_job.events.index.on_job_event`` (EventBridge) and ``on_cleanup_event``
(custom-resource Provider). Thin: read the environment, build clients, hand over to the logic."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
from botocore.config import Config

from .cleanup import DeploymentCleanup
from .completion import JobEventProcessor, Settings

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
LOGGER = logging.getLogger(__name__)

# Standard retries absorb throttling; whatever is left is notified (events) or fails the resource.
_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def settings_from_env(env: Any = os.environ) -> Settings:
    return Settings(
        topic_arn=env["TOPIC_ARN"],
        parameter_name=env["DEPLOYMENT_PARAMETER"],
        job_name_prefix=env["JOB_NAME_PREFIX"],
        tags=json.loads(env.get("DEPLOYMENT_TAGS", "{}")),
    )


def on_job_event(event: dict[str, Any], context: Any = None) -> dict[str, str]:
    LOGGER.info("event: %s", json.dumps(event, default=str))
    processor = JobEventProcessor(
        bedrock=boto3.client("bedrock", config=_CLIENT_CONFIG),
        ssm=boto3.client("ssm", config=_CLIENT_CONFIG),
        sns=boto3.client("sns", config=_CLIENT_CONFIG),
        settings=settings_from_env(),
    )
    outcome = processor.handle(event)
    LOGGER.info("outcome: %s", json.dumps(outcome))
    return outcome


def on_cleanup_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    LOGGER.info("request: %s", json.dumps({k: v for k, v in event.items() if k != "ResponseURL"}, default=str))
    cleanup = DeploymentCleanup(
        bedrock=boto3.client("bedrock", config=_CLIENT_CONFIG), ssm=boto3.client("ssm", config=_CLIENT_CONFIG)
    )
    response = cleanup.handle(event)
    LOGGER.info("response: %s", json.dumps(response))
    return response
