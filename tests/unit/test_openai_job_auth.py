"""The short-term Bedrock API key is made locally from the role's credentials: nothing stored, nothing fetched."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

from rft_job_openweight import auth


def test_key_is_a_presigned_call_with_bearer_token_for_the_region_with_a_short_lifetime(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    key = auth.short_term_key("us-west-2")
    assert key.startswith("bedrock-api-key-")
    body = key[len("bedrock-api-key-") :]
    url = urlparse("https://" + base64.b64decode(body + "=" * (-len(body) % 4)).decode())
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["Action"] == "CallWithBearerToken"
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/") and "/us-west-2/" in query["X-Amz-Credential"]
    assert int(query["X-Amz-Expires"]) == int(auth.TOKEN_LIFETIME.total_seconds()) == 1800


def test_client_points_at_the_regional_mantle_endpoint(monkeypatch) -> None:
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    client = auth.openai_client(api_key="k")
    assert str(client.base_url).rstrip("/") == "https://bedrock-mantle.us-west-2.api.aws/v1"
