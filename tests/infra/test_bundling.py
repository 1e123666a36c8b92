"""Docker-free bundling: dependencies for the Lambda platform, hash-checked bytecode of the runtime's Python."""

from __future__ import annotations

import re
import subprocess

import pytest

from stacks.support.local_bundling import REPO_ROOT, RUNTIME_PYTHON_VERSION, bundle_package, runtime_python

TAG = "cpython-" + RUNTIME_PYTHON_VERSION.replace(".", "")


@pytest.fixture(scope="module")
def job_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("rft_job")
    bundle_package(REPO_ROOT / "lambda" / "rft_job", out)
    return out


@pytest.fixture(scope="module")
def grader_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("graders")
    bundle_package(REPO_ROOT / "lambda" / "graders", out)
    return out


def test_job_handler_bundle_carries_a_boto3_that_knows_rft(job_bundle):
    # One asset for the job's two Lambdas: the custom resource and the event reactions.
    for handler in ("custom_resource/index.py", "events/index.py"):
        assert (job_bundle / "rft_job" / handler).is_file(), handler
    assert not (job_bundle / "rft_job" / "requirements.txt").exists()
    version = re.search(r"__version__ = '([\d.]+)'", (job_bundle / "boto3" / "__init__.py").read_text()).group(1)
    assert tuple(map(int, version.split("."))) >= (1, 42, 2)
    model = next((job_bundle / "botocore" / "data" / "bedrock").glob("*/service-2.json*"))
    assert model.is_file()


def test_grader_bundle_has_the_package_and_its_dependencies_without_tests(grader_bundle):
    for needed in (
        "graders/contract.py",
        "graders/math_handler.py",
        "math_verify",
        "sympy",
        "langdetect/profiles",
        "jsonschema",
        "aws_lambda_powertools",
    ):
        assert (grader_bundle / needed).exists(), needed
    assert not (grader_bundle / "graders" / "requirements.txt").exists()
    assert not list(grader_bundle.glob("sympy/**/tests"))


def test_bytecode_is_compiled_for_the_lambda_runtime_in_hash_mode(job_bundle):
    interpreter = runtime_python()
    if interpreter is None:
        pytest.skip(f"no python{RUNTIME_PYTHON_VERSION} on this machine to compile the runtime's bytecode")
    pyc = next((job_bundle / "rft_job" / "custom_resource" / "__pycache__").glob(f"lifecycle.{TAG}.pyc"))
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags & 0b1, "bytecode must be hash-based: asset zips reset file dates"
    # And the runtime's Python imports the bundle as Lambda would.
    probe = subprocess.run(
        [interpreter, "-c", "import rft_job.custom_resource.index, rft_job.events.index, boto3"],
        cwd=job_bundle,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr
