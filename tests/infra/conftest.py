"""Synthesize each pipeline variant once per test session (jsii start-up dominates the cost)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from config.settings import DEFAULT_CONFIG_FILE, REPO_ROOT, parse_config
from stacks.environment import build_environment

BASE_DOCUMENT = json.loads(DEFAULT_CONFIG_FILE.read_text())
# The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does.
CDK_CONTEXT = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


def document_with(**environment_overrides: Any) -> dict:
    document = copy.deepcopy(BASE_DOCUMENT)
    document["environments"]["dev"].update(environment_overrides)
    return document


@dataclass
class Synthesized:
    templates: dict[str, Template]
    raw: dict[str, dict]
    assembly_dir: str
    acknowledgements: list[tuple[str, str, str]]  # (construct path, finding id, reason)

    def __getitem__(self, part: str) -> Template:
        return self.templates[part]


@cache
def synthesize(document_json: str, env_name: str = "dev") -> Synthesized:
    config = parse_config(json.loads(document_json))[env_name]
    # Bundling is covered by its own test and by `cdk synth`; template tests use the source folders.
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    stacks = build_environment(app, config)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    assembly = app.synth()  # raises when cdk-nag reports an unacknowledged finding
    raw = {
        part: assembly.get_stack_by_name(stack.stack_name).template
        for part, stack in (("data", stacks.data), ("graders", stacks.graders), ("training", stacks.training))
    }
    acknowledgements = [
        (construct.node.path, finding, reason)
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for finding, reason in entry.data.items()
    ]
    return Synthesized(
        templates={k: Template.from_json(v) for k, v in raw.items()},
        raw=raw,
        assembly_dir=assembly.directory,
        acknowledgements=acknowledgements,
    )


@pytest.fixture(scope="session")
def dev() -> Synthesized:
    """The dev environment, training on deploy, S3-managed encryption, account from the caller."""
    return synthesize(json.dumps(document_with(startTraining=True)))


@pytest.fixture(scope="session")
def prod() -> Synthesized:
    """The prod environment as configured: explicit account, customer-managed key, training on."""
    return synthesize(json.dumps(BASE_DOCUMENT), "prod")


@pytest.fixture(scope="session")
def no_training() -> Synthesized:
    return synthesize(json.dumps(document_with(startTraining=False)))


@pytest.fixture(scope="session")
def deploying() -> Synthesized:
    """dev with the trained model deployed on completion (removed with the stack) and two e-mail recipients."""
    return synthesize(
        json.dumps(
            document_with(
                startTraining=True,
                notifications={"emails": ["a@example.com", "b@example.com"]},
                modelDeployment={"enabled": True, "retainOnDelete": False},
            )
        )
    )


OPEN_WEIGHT = {"region": "us-west-2", "baseModelId": "openai.gpt-oss-20b", "hyperparameters": {"n_epochs": 2}}


@pytest.fixture(scope="session")
def open_weight() -> Synthesized:
    """dev on the open-weight path (gpt-oss-20b in us-west-2), training on deploy, data key on."""
    return synthesize(json.dumps(document_with(startTraining=True, dataKmsKey=True, **OPEN_WEIGHT)))
