#!/usr/bin/env python3
"""Entry point: read the configuration, validate it, build one environment's stacks, run cdk-nag.

Context (``-c key=value`` or cdk.json): ``env`` (default ``dev``, ``all``, or ``delivery``) picks what to
build; the configuration is the ``rftConfig`` object of the context when there is one, else the file
named by ``config`` (default ``config/environments.json``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The pinned Node 22 (package.json) runs jsii even when the app is started without make or npx: jsii on the
# system's Node 20 prints an end-of-life banner. Set before aws_cdk is imported, which starts jsii.
_NODE_BIN = Path(__file__).resolve().parent / "node_modules" / ".bin"
if _NODE_BIN.is_dir() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from config.settings import (
    DEFAULT_CONFIG_FILE,
    REPO_ROOT,
    ConfigError,
    EnvironmentConfig,
    load_document,
    parse_config,
    parse_delivery,
    select_environment,
)
from graders.format_rules.grader import FormatGrader, FormatSettings
from graders.judge.models import retired_judge_warning
from rft.checks.dataset_validation import DatasetError, ensure_valid
from stacks.delivery_pipeline_stack import DeliveryPipelineStack
from stacks.environment import build_environment
from stacks.graders_stack import grader_environment

ALL_ENVIRONMENTS = "all"  # `-c env=all`: every environment and the delivery pipeline (reviews, CI)
DELIVERY = "delivery"  # `-c env=delivery`: only the cross-account delivery pipeline stack


def check_datasets(configs: list[EnvironmentConfig]) -> None:
    """A bad row fails synth here, before anything is uploaded or a paid job is started.

    Environments usually share a dataset and grader: each distinct check runs once.
    """

    def files(config: EnvironmentConfig) -> list[Path]:
        evaluation = [REPO_ROOT / config.evaluation.dataset] if config.evaluation.enabled else []
        return [*config.dataset.local_files(), *evaluation]

    checks = {
        (
            path,
            config.grader,
            config.hyperparameters.max_prompt_length if config.hyperparameters else None,
            bool(config.format.default_constraints),
            config.composite.default_graders,
        )
        for config in configs
        for path in files(config)
    }
    for path, grader, max_prompt_length, has_defaults, composite_graders in sorted(checks, key=str):
        ensure_valid(
            path,
            grader=grader,
            max_prompt_length=max_prompt_length,
            has_default_format_constraints=has_defaults,
            composite_graders=composite_graders,
        )


def check_grader_settings(config: EnvironmentConfig) -> None:
    """The format grader parses its own settings here, so a bad default constraint stops synth."""
    try:
        FormatGrader.from_settings(FormatSettings.from_environment(grader_environment(config, "format")))
    except ValueError as exc:
        raise ConfigError([f"environments.{config.name}.format: {exc}"]) from None


def main() -> None:
    app = cdk.App()
    wanted = app.node.try_get_context("env") or "dev"
    try:
        document = app.node.try_get_context("rftConfig") or load_document(
            app.node.try_get_context("config") or DEFAULT_CONFIG_FILE
        )
        configs = parse_config(document)
        delivery = parse_delivery(document, configs) if wanted in (ALL_ENVIRONMENTS, DELIVERY) else None
        if wanted == DELIVERY and delivery is None:
            raise ConfigError(["delivery: the configuration has no 'delivery' section"])
        if wanted == ALL_ENVIRONMENTS:
            selected = list(configs.values())
        elif wanted == DELIVERY:
            selected = []
        else:
            selected = [select_environment(configs, wanted)]
        staged = [configs[name] for name in delivery.stages] if delivery else []
        checked = list({c.name: c for c in [*selected, *staged]}.values())
        for config in checked:
            check_grader_settings(config)
        check_datasets(checked)
    except (ConfigError, DatasetError) as exc:
        sys.exit(f"cdk synth stopped: {exc}")
    for config in selected:
        if config.grader in ("judge", "composite") and (warning := retired_judge_warning(config.judge.model_id)):
            print(f"warning: environments.{config.name}.judge.modelId: {warning}", file=sys.stderr)
        build_environment(app, config)
    if delivery is not None:
        DeliveryPipelineStack(
            app,
            "RftDelivery",
            delivery=delivery,
            environments=configs,
            env=cdk.Environment(account=delivery.account, region=delivery.region),
        )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    app.synth()


if __name__ == "__main__":
    main()
