"""The one place the `rft` command builds AWS clients, so tests can replace it (never reaching AWS)."""

from __future__ import annotations

from typing import Any

DEFAULT_REGION = "us-east-1"  # Bedrock RFT runs in us-east-1 only


def make_client(service: str, *, region: str = DEFAULT_REGION) -> Any:
    import boto3  # imported here so `rft validate` and `rft grade` start fast

    return boto3.client(service, region_name=region)
