"""An ``openai.OpenAI`` client for Bedrock's OpenAI-compatible endpoint, authenticated from the caller's own role.

AWS ("API keys", Bedrock user guide) documents short-term Bedrock API keys generated from IAM credentials with its
``aws-bedrock-token-generator`` package: a SigV4-presigned token, valid up to 12 hours or the credentials' own
lifetime, whichever is shorter. Nothing is stored; a Lambda makes a fresh one per invocation.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

ENDPOINT_TEMPLATE = "https://bedrock-mantle.{region}.api.aws/v1"
# A custom resource or poller invocation lasts minutes; a short key limits what a leaked log line could do.
TOKEN_LIFETIME = timedelta(minutes=30)


def endpoint(region: str) -> str:
    return ENDPOINT_TEMPLATE.format(region=region)


def short_term_key(region: str) -> str:
    from aws_bedrock_token_generator import provide_token  # bundled with the Lambda (requirements.txt)

    token: str = provide_token(region=region, expiry=TOKEN_LIFETIME)
    return token


def openai_client(
    region: str | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    max_retries: int = 4,
    timeout: float = 60.0,
) -> Any:
    """The client; ``base_url`` and ``api_key`` are for tests (a loopback stand-in), never set in AWS."""
    from openai import OpenAI

    region = region or os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
    return OpenAI(
        api_key=api_key or short_term_key(region),
        base_url=base_url or endpoint(region),
        max_retries=max_retries,
        timeout=timeout,
    )
