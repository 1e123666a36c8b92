"""The grader catalogue is the one list of grader kinds: a kind added there reaches config, stacks,
runtime and CLI; only reward-changing settings reach the job fingerprint; IAM and the composite agree."""

from __future__ import annotations

import dataclasses
import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from config.settings import ConfigError, parse_config
from graders import catalog
from graders.catalog import CATALOG, GraderKind, Setting

from .conftest import CDK_CONTEXT, document_with


def _training_fingerprint(document: dict) -> str:
    from stacks.training_stack import TrainingStack

    config = parse_config(document)["dev"]
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    stack = TrainingStack(app, "T", config=config, env=cdk.Environment(account="111111111111", region="us-east-1"))
    [job] = Template.from_stack(stack).find_resources("Custom::RftTrainingJob").values()
    return json.dumps(job["Properties"]["InputsFingerprint"])


def test_operational_settings_never_change_the_job_fingerprint_reward_settings_do():
    base = {"startTraining": True, "grader": "judge", "dataset": {"training": "datasets/instruction_following.jsonl"}}
    same = _training_fingerprint(document_with(**base))
    assert _training_fingerprint(document_with(**base, judge={"maxConcurrency": 8})) == same
    assert _training_fingerprint(document_with(**base, judge={"rubric": "reasoning"})) != same
    assert _training_fingerprint(document_with(**base, judge={"errorScore": 0.3})) != same


@pytest.fixture
def fake_kind(monkeypatch):
    """A seventh kind, declared only in the catalogue (it reuses the math handler's code)."""
    kind = GraderKind(
        name="spelling",
        handler="graders.math_handler.handler",
        memory_mb=768,
        timeout_seconds=120,
        code=("math_answer", "math_handler.py"),
        row_needs="a reference_answer",
        settings=(Setting("strictness", "SPELLING_STRICTNESS", "integer", 2, low=1, high=5),),
    )
    monkeypatch.setitem(CATALOG, "spelling", kind)
    monkeypatch.setattr(catalog, "GRADERS", tuple(CATALOG))
    import config.settings as settings
    import rft.checks.grader_fields as fields
    import rft.local_grading as local

    monkeypatch.setattr(settings, "GRADERS", tuple(CATALOG), raising=False)
    monkeypatch.setattr(fields, "GRADERS", tuple(CATALOG))
    monkeypatch.setitem(local.HANDLER_MODULES, "spelling", kind.module)
    return kind


def test_a_kind_declared_in_the_catalogue_reaches_config_stacks_runtime_and_cli(fake_kind):
    from stacks.graders_stack import GradersStack

    # Configuration: its section is validated from its declared settings.
    with pytest.raises(ConfigError, match=r"spelling\.strictness: 9 is not allowed: an integer from 1 to 5"):
        parse_config(document_with(spelling={"strictness": 9}))
    config = parse_config(document_with(spelling={"strictness": 4}))["dev"]
    assert config.grader_environment("spelling") == {"SPELLING_STRICTNESS": "4"}
    # Stacks: a tagged function with the catalogue's memory, timeout and environment.
    app = cdk.App(context={**CDK_CONTEXT, "aws:cdk:bundling-stacks": []})
    stack = GradersStack(app, "G", config=config, env=cdk.Environment(account="111111111111", region="us-east-1"))
    [props] = [
        r["Properties"]
        for r in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
        if {"Key": "rft:grader", "Value": "spelling"} in r["Properties"].get("Tags", [])
    ]
    assert props["MemorySize"] == 768 and props["Timeout"] == 120
    assert props["Environment"]["Variables"]["SPELLING_STRICTNESS"] == "4"
    # Runtime and CLI: `rft grade` loads its handler by the catalogue's module.
    from rft.local_grading import load_handler

    assert callable(load_handler("spelling"))


def test_the_composite_calls_the_judge_exactly_when_iam_allows_it():
    for weights, expected in (({"math": 1.0, "judge": 0.0}, False), ({"math": 0.5, "judge": 0.5}, True)):
        config = parse_config(
            document_with(grader="composite", composite={"weights": weights, "defaultGraders": ["math", "judge"]})
        )["dev"]
        assert config.grader_calls_judge("composite") is expected
        from graders.composite import CompositeSettings

        runtime = CompositeSettings(weights=weights, default_graders=("math", "judge"))
        assert catalog.composite_calls_judge(runtime.weights, runtime.default_graders) is expected


def test_defaults_agree_between_config_and_runtime():
    from graders.composite import DEFAULT_WEIGHTS
    from graders.judge.settings import JudgeSettings

    config = parse_config(document_with())["dev"]
    assert (
        config.judge.max_concurrency
        == JudgeSettings().max_concurrency
        == CATALOG["judge"].setting("maxConcurrency").default
    )
    assert dict(config.composite.weights) == DEFAULT_WEIGHTS
    assert dataclasses.is_dataclass(config)
