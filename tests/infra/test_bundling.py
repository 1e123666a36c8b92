"""Docker-free bundling: dependencies for the Lambda platform, hash-checked bytecode of the runtime's Python."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from stacks.constructs.grader_preflight import staged_code
from stacks.support.local_bundling import (
    LAMBDA_DIR,
    REPO_ROOT,
    RUNTIME_PYTHON_VERSION,
    SHARED_PACKAGES,
    bundle_package,
    runtime_python,
    shared_packages,
    source_hash,
)

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
    found = re.search(r"__version__ = '([\d.]+)'", (job_bundle / "boto3" / "__init__.py").read_text())
    assert found, "the bundled boto3 states no __version__"
    version = found.group(1)
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


# Control Lambdas that import the shared ClientError helper, and the bundles built for them.
# The job asset (rft_job: the custom resource and the event reactions), the evaluation and the preflight.
CONTROL_PACKAGES = ("rft_job", "evaluation", "preflight")


@pytest.mark.parametrize("package", CONTROL_PACKAGES)
def test_each_control_package_is_found_to_import_the_shared_error_helper(package):
    assert shared_packages(LAMBDA_DIR / package) == [LAMBDA_DIR / "aws_errors"]


def test_packages_that_import_no_shared_code_carry_none_and_keep_cdks_own_hash():
    assert shared_packages(LAMBDA_DIR / "graders") == []
    assert source_hash(LAMBDA_DIR / "graders") is None
    assert source_hash(LAMBDA_DIR / "rft_job") != source_hash(LAMBDA_DIR / "evaluation")


@pytest.mark.parametrize("package", CONTROL_PACKAGES)
def test_every_first_party_import_of_a_control_bundle_is_inside_it(package, tmp_path):
    """Each asset carries what its code imports from lambda/: the package itself and the shared packages."""
    import ast

    if package == "preflight":
        out = staged_code({})
    else:
        out = tmp_path / package
        bundle_package(LAMBDA_DIR / package, out)
    first_party = {path.name for path in LAMBDA_DIR.iterdir() if (path / "__init__.py").is_file()}
    imported = set()
    for source in (out / package).rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    needed = (imported & first_party) - {package}
    assert needed <= set(SHARED_PACKAGES), needed
    for name in needed | {package}:
        assert (out / name / "__init__.py").is_file(), name


@pytest.mark.parametrize(
    "package,module",
    [("rft_job", "rft_job.custom_resource.lifecycle"), ("rft_job", "rft_job.events.completion")],
)
def test_a_control_bundle_imports_on_its_own(package, module, tmp_path):
    """Only the standard library and the bundle on the path (-I -S): the shared helper came along."""
    out = tmp_path / package
    bundle_package(LAMBDA_DIR / package, out)
    probe = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.insert(0, '.'); import {module}, aws_errors"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr
