"""The open-weight job asset: the openai SDK and the token generator vendored, importable on the Lambda's Python."""

from __future__ import annotations

import subprocess

import pytest

from stacks.support.local_bundling import REPO_ROOT, bundle_package, runtime_python


@pytest.fixture(scope="module")
def openai_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("rft_job_openweight")
    bundle_package(REPO_ROOT / "lambda" / "rft_job_openweight", out)
    return out


def test_bundle_has_the_handler_the_sdk_and_the_token_generator(openai_bundle):
    for needed in (
        "rft_job_openweight/index.py",
        "rft_job_openweight/poller.py",
        "openai",
        "aws_bedrock_token_generator",
        "pydantic_core",
        "jiter",
    ):
        assert (openai_bundle / needed).exists(), needed
    assert not (openai_bundle / "rft_job_openweight" / "requirements.txt").exists()


def test_handlers_import_from_the_bundle_on_the_runtime_python(openai_bundle):
    interpreter = runtime_python()
    if interpreter is None:
        pytest.skip("no python3.13 on this machine")
    probe = subprocess.run(
        [
            interpreter,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import rft_job_openweight.index, "
            "rft_job_openweight.poller, openai, aws_bedrock_token_generator; print(openai.__version__)",
            str(openai_bundle),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "3.57.0"
