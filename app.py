#!/usr/bin/env python3
"""Entry point: read the configuration, validate it, build one environment's stacks, run cdk-nag.

Context (``-c key=value`` or cdk.json): ``env`` picks what to build (see :func:`plan`): one environment
(default ``dev``), ``all`` (every environment once: the delivery pipeline's stages inside the pipeline, the
others stand-alone) or ``delivery`` (the pipeline alone). The configuration is the ``rftConfig`` object of
the context when there is one, else the file named by ``config`` (default ``config/environments.json``).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    DeliveryConfig,
    EnvironmentConfig,
    load_document,
    parse_config,
    parse_delivery,
)
from graders.judge.models import retired_judge_warning
from rft.checks.dataset_validation import DatasetError, ensure_valid
from stacks.delivery_pipeline_stack import DeliveryPipelineStack
from stacks.environment import build_environment

ALL_ENVIRONMENTS = "all"  # `-c env=all`: every environment once (what `make synth` builds and lints)
DELIVERY = "delivery"  # `-c env=delivery`: only the cross-account delivery pipeline stack
DELIVERY_STACK = "RftDelivery"


@dataclass(frozen=True)
class Plan:
    """What one synth builds: stand-alone environments, and the delivery pipeline with its stages."""

    standalone: list[EnvironmentConfig]
    delivery: DeliveryConfig | None

    @property
    def staged(self) -> list[str]:
        return list(self.delivery.stages) if self.delivery else []

    def built(self, configs: dict[str, EnvironmentConfig]) -> list[EnvironmentConfig]:
        """Every environment the synth builds, stand-alone or as a pipeline stage, once each."""
        return [*self.standalone, *(configs[name] for name in self.staged)]


def plan(wanted: str, document: Any, configs: dict[str, EnvironmentConfig]) -> Plan:
    """``-c env=...`` as a plan in which each environment's stacks appear exactly once.

    - an environment's name: that environment stand-alone (``cdk deploy --all -c env=staging``);
    - ``delivery``: the delivery pipeline alone, with its stages inside it;
    - ``all``: every environment once. With a ``delivery`` section, the environments it stages are built
      only inside the pipeline (as ``RftDelivery/Staging/RftData-staging``) and the others (``dev``)
      stand-alone; without one, every environment stand-alone. ``cdk ls`` lists each stack once, and
      ``cdk deploy --all`` (top-level stacks) deploys the stand-alone ones and the pipeline, which deploys
      its stages, rather than the same stacks twice.
    """
    if wanted in (ALL_ENVIRONMENTS, DELIVERY):
        delivery = parse_delivery(document, configs)
        if wanted == DELIVERY:
            if delivery is None:
                raise ConfigError(["delivery: the configuration has no 'delivery' section"])
            return Plan(standalone=[], delivery=delivery)
        staged = set(delivery.stages) if delivery else set()
        return Plan(standalone=[c for name, c in configs.items() if name not in staged], delivery=delivery)
    if wanted not in configs:
        choices = [f"{ALL_ENVIRONMENTS} (every environment once)"]
        if document.get("delivery") is not None:
            choices.append(f"{DELIVERY} (the delivery pipeline alone)")
        raise ConfigError(
            [f"env: {wanted!r} is not a configured environment (have: {', '.join(configs)}) nor {' or '.join(choices)}"]
        )
    return Plan(standalone=[configs[wanted]], delivery=None)


def check_datasets(configs: list[EnvironmentConfig]) -> None:
    """A bad row fails synth here, before anything is uploaded or a paid job is started.

    Environments usually share a dataset and grader: each distinct check runs once.
    """

    def files(config: EnvironmentConfig) -> list[Path]:
        # enabled implies a dataset (config/settings.py resolves it or fails)
        evaluation = (
            [REPO_ROOT / config.evaluation.dataset] if config.evaluation.enabled and config.evaluation.dataset else []
        )
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


def main() -> None:
    app = cdk.App()
    wanted = app.node.try_get_context("env") or "dev"
    try:
        document = app.node.try_get_context("rftConfig") or load_document(
            app.node.try_get_context("config") or DEFAULT_CONFIG_FILE
        )
        configs = parse_config(document)
        selection = plan(wanted, document, configs)
        built = selection.built(configs)
        check_datasets(built)
    except (ConfigError, DatasetError) as exc:
        sys.exit(f"cdk synth stopped: {exc}")
    for config in built:
        if config.grader_calls_judge(config.grader) and (warning := retired_judge_warning(config.judge.model_id)):
            print(f"warning: environments.{config.name}.judge.modelId: {warning}", file=sys.stderr)
    for config in selection.standalone:
        build_environment(app, config)
    if selection.delivery is not None:
        DeliveryPipelineStack(
            app,
            DELIVERY_STACK,
            delivery=selection.delivery,
            environments=configs,
            env=cdk.Environment(account=selection.delivery.account, region=selection.delivery.region),
        )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(verbose=True))
    app.synth()


if __name__ == "__main__":
    main()
