"""Deploy smoke test: `cdk bootstrap` and `cdk deploy` of the data and grader stacks into moto_server.

moto_server listens on localhost (CDK's path-style template URLs need the name ``localhost``) and
is stopped by the fixture. The training stack is left out: moto cannot run custom resources or
resolve its alarms; its logic is tested against Stubber and its template by assertions.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from config.settings import REPO_ROOT

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "123456789012"  # moto's account


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    if not CDK.exists():
        pytest.skip("the CDK CLI is not installed (run `make setup`)")
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "localhost", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://localhost:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def aws_env(moto_endpoint, tmp_path_factory):
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PATH": f"{CDK.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    env.pop("AWS_PROFILE", None)
    out = tmp_path_factory.mktemp("cdk.out")

    def cdk(*args: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(CDK), *args, "--output", str(out), "--no-notices"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    cdk("bootstrap", f"aws://{ACCOUNT}/us-east-1")
    cdk("deploy", "--exclusively", "RftData-dev", "RftGraders-dev", "--require-approval", "never", "-c", "env=dev")
    return {
        "endpoint_url": moto_endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "region_name": "us-east-1",
    }


@pytest.mark.slow
def test_graders_deploy_with_their_bundled_code(aws_env):
    functions = {f["FunctionName"]: f for f in boto3.client("lambda", **aws_env).list_functions()["Functions"]}
    for kind in ("math", "format", "judge", "composite"):
        function = functions[f"rft-dev-{kind}-grader"]
        assert function["Runtime"] == "python3.13" and function["Handler"] == f"graders.{kind}_handler.handler"
        assert function["CodeSize"] > 5_000_000  # the published asset holds the vendored dependencies


@pytest.mark.slow
def test_data_bucket_is_created_with_its_deterministic_name_and_encryption(aws_env):
    s3 = boto3.client("s3", **aws_env)
    bucket = f"rft-dev-data-{ACCOUNT}-us-east-1"
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
