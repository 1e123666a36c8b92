#!/usr/bin/env python3
"""Entry point: read the configuration, validate it, build one environment's stacks, run cdk-nag.

Context (``-c key=value`` or cdk.json): ``env`` (default ``dev``, or ``all``) picks the environment,
``config`` the configuration file (default ``config/environments.json``).
"""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from config.settings import (DEFAULT_CONFIG_FILE, ConfigError, EnvironmentConfig, load_config, load_delivery,
                             select_environment)
from graders.format_rules.grader import FormatGrader, FormatSettings
from rft.dataset_validation import DatasetError, ensure_valid
from stacks.delivery_pipeline_stack import DeliveryPipelineStack
from stacks.graders_stack import grader_environment
from stacks.pipeline import build_pipeline

ALL_ENVIRONMENTS = "all"  # `-c env=all`: every environment and the delivery pipeline (reviews, CI)
DELIVERY = "delivery"  # `-c env=delivery`: only the cross-account delivery pipeline stack


def check_datasets(config: EnvironmentConfig) -> None:
    """A bad row fails synth here, before anything is uploaded or a paid job is started."""
    for path in config.dataset.local_files():
        ensure_valid(path, grader=config.grader, max_prompt_length=config.hyperparameters.max_prompt_length,
                     has_default_format_constraints=bool(config.format.default_constraints),
                     composite_graders=config.composite.default_graders)


def check_grader_settings(config: EnvironmentConfig) -> None:
    """The format grader parses its own settings here, so a bad default constraint stops synth."""
    try:
        FormatGrader.from_settings(FormatSettings.from_environment(grader_environment(config, "format")))
    except ValueError as exc:
        raise ConfigError([f"environments.{config.name}.format: {exc}"]) from None


def main() -> None:
    app = cdk.App()
    config_file = app.node.try_get_context("config") or DEFAULT_CONFIG_FILE
    wanted = app.node.try_get_context("env") or "dev"
    try:
        configs = load_config(config_file)
        delivery = load_delivery(config_file, configs) if wanted in (ALL_ENVIRONMENTS, DELIVERY) else None
        if wanted == DELIVERY and delivery is None:
            raise ConfigError(["delivery: the configuration has no 'delivery' section"])
        selected = {ALL_ENVIRONMENTS: list(configs.values()), DELIVERY: []}.get(wanted) \
            or [select_environment(configs, wanted)]
        for config in selected:
            check_grader_settings(config)
            check_datasets(config)
    except (ConfigError, DatasetError) as exc:
        sys.exit(f"cdk synth stopped: {exc}")
    for config in selected:
        build_pipeline(app, config)
    if delivery is not None:
        DeliveryPipelineStack(app, "RftDelivery", delivery=delivery, environments=configs,
                              env=cdk.Environment(account=delivery.account, region=delivery.region))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    app.synth()


if __name__ == "__main__":
    main()
