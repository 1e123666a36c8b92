"""The whole pipeline for one environment: data, graders and training stacks, with their checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from config.settings import REPO_ROOT, EnvironmentConfig

from .data_stack import DataStack
from .graders_stack import GradersStack
from .training_stack import TrainingStack

DATASETS_DIR = REPO_ROOT / "datasets"


@dataclass(frozen=True)
class EnvironmentStacks:
    data: DataStack
    graders: GradersStack
    training: TrainingStack


def build_environment(scope: Construct, config: EnvironmentConfig) -> EnvironmentStacks:
    env = cdk.Environment(account=config.account, region=config.region)
    tags = {"rft:project": config.project, "rft:environment": config.name}
    # Explicit stack names: `cdk deploy -c env=X` and the delivery pipeline's stage update the same stacks.
    data = DataStack(
        scope,
        config.stack_name("Data"),
        stack_name=config.stack_name("Data"),
        config=config,
        datasets_dir=DATASETS_DIR,
        env=env,
        description=f"Bedrock RFT pipeline ({config.name}): training data and job output (stateful)",
        termination_protection=config.name in ("prod", "production"),
        tags=tags,
    )
    graders = GradersStack(
        scope,
        config.stack_name("Graders"),
        stack_name=config.stack_name("Graders"),
        config=config,
        env=env,
        tags=tags,
        description=f"Bedrock RFT pipeline ({config.name}): reward-function Lambdas",
    )
    training = TrainingStack(
        scope,
        config.stack_name("Training"),
        stack_name=config.stack_name("Training"),
        config=config,
        env=env,
        tags=tags,
        description=f"Bedrock RFT pipeline ({config.name}): service role and training job",
    )
    # Training refers to the bucket and grader by name, so the order is declared, not inferred.
    training.add_stack_dependency(data)
    training.add_stack_dependency(graders)
    return EnvironmentStacks(data=data, graders=graders, training=training)


class EnvironmentStage(cdk.Stage):
    """One environment's stacks as a deployable unit of the delivery pipeline."""

    def __init__(self, scope: Construct, id_: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        self.stacks = build_environment(self, config)
