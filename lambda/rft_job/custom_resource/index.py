"""Custom-resource entry point (CDK Provider framework): thin wrapper over ``lifecycle``."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3
from botocore.config import Config

from .lifecycle import JobLifecycle

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
LOGGER = logging.getLogger(__name__)

# Standard retries absorb throttling; the Provider framework reports whatever is left.
_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    LOGGER.info("request: %s", json.dumps({k: v for k, v in event.items() if k != "ResponseURL"}, default=str))
    bedrock = boto3.client("bedrock", config=_CLIENT_CONFIG)
    response = JobLifecycle(bedrock).handle(event)
    LOGGER.info("response: %s", json.dumps(response))
    return response
