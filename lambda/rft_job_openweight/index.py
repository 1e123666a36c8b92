"""Custom-resource entry point (CDK Provider framework): thin wrapper over ``lifecycle``."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3

from .auth import openai_client
from .lifecycle import OpenWeightJobLifecycle

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
LOGGER = logging.getLogger(__name__)


def on_event(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    LOGGER.info("request: %s", json.dumps({k: v for k, v in event.items() if k != "ResponseURL"}, default=str))
    response = OpenWeightJobLifecycle(openai_client(), boto3.client("s3")).handle(event)
    LOGGER.info("response: %s", json.dumps(response))
    return response
