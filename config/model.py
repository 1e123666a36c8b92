"""The typed pipeline configuration: what ``config/settings.py`` builds from the JSON file.

Frozen dataclasses, one ``EnvironmentConfig`` per environment plus the optional
``DeliveryConfig`` of the cross-account pipeline. Nothing here reads files or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = REPO_ROOT / "config" / "environments.json"

RFT_REGIONS = ("us-east-1",)
from graders.catalog import GRADERS, JUDGE_RUBRICS  # noqa: E402,F401  (the grader catalogue is the one list)

REASONING_EFFORTS = ("low", "medium", "high")
CALLER_ACCOUNT = "caller"  # use the deploying credentials' account (never for production)
PRODUCTION_NAMES = ("prod", "production")


@dataclass(frozen=True)
class Hyperparameters:
    epoch_count: int
    batch_size: int
    learning_rate: float
    training_sample_per_prompt: int
    max_prompt_length: int
    inference_max_tokens: int
    reasoning_effort: str
    eval_interval: int

    def to_api(self) -> dict[str, Any]:
        """``rftConfig.hyperParameters`` exactly as CreateModelCustomizationJob spells it."""
        return {
            "epochCount": self.epoch_count,
            "batchSize": self.batch_size,
            "learningRate": self.learning_rate,
            "trainingSamplePerPrompt": self.training_sample_per_prompt,
            "maxPromptLength": self.max_prompt_length,
            "inferenceMaxTokens": self.inference_max_tokens,
            "reasoningEffort": self.reasoning_effort,
            "evalInterval": self.eval_interval,
        }


@dataclass(frozen=True)
class InvocationLogs:
    s3_uri: str
    use_prompt_response: bool = False
    request_metadata_filters: Mapping[str, Any] | None = None
    manage_logging: bool = False  # the data stack turns Bedrock invocation logging on to this bucket

    @property
    def bucket_name(self) -> str:
        return self.s3_uri[len("s3://") :].split("/", 1)[0]

    def to_api(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "usePromptResponse": self.use_prompt_response,
            "invocationLogSource": {"s3Uri": self.s3_uri},
        }
        if self.request_metadata_filters:
            config["requestMetadataFilters"] = dict(self.request_metadata_filters)
        return config


@dataclass(frozen=True)
class DatasetConfig:
    training: str | None  # repository-relative JSONL path, uploaded to the data bucket
    validation: str | None = None
    invocation_logs: InvocationLogs | None = None

    def local_files(self) -> list[Path]:
        return [REPO_ROOT / p for p in (self.training, self.validation) if p]


@dataclass(frozen=True)
class JudgeConfig:
    model_id: str
    rubric: str
    custom_rubric: str | None = None
    max_concurrency: int = 32  # items judged at once per batch; bounded by the judge model's quota
    injection_penalty: float = 0.5  # share of the score taken from answers that address the judge


@dataclass(frozen=True)
class FormatConfig:
    scoring: str = "fraction"
    loose: bool = False
    default_constraints: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CompositeConfig:
    weights: Mapping[str, float]
    default_graders: tuple[str, ...]


@dataclass(frozen=True)
class ModelDeploymentConfig:
    enabled: bool = False
    retain_on_delete: bool = False


@dataclass(frozen=True)
class PreflightConfig:
    """Rehearse the deployed grader before a paid job starts (thresholds as ``rft rehearse``'s)."""

    enabled: bool = True
    sample_rows: int = 32
    judge_sample_rows: int = 4
    min_auc: float = 0.8
    min_gap: float = 0.3
    max_low_reference_share: float = 0.2


@dataclass(frozen=True)
class EvaluationConfig:
    """After training (deployment on): base model vs the tuned deployment on ``dataset``, graded by the job's grader."""

    enabled: bool = False
    dataset: str | None = None  # datasets/*.jsonl; None when disabled (resolved to validation, else training)
    base_model_id: str = "us.amazon.nova-2-lite-v1:0"  # on-demand inference id or profile of the base model
    max_concurrency: int = 8  # rows evaluated at once (Distributed Map)
    limit: int | None = None  # first N rows; None: all


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    project: str
    account: str | None  # None: the deploying credentials' account (CDK_DEFAULT_ACCOUNT)
    region: str
    base_model_id: str
    dataset: DatasetConfig
    grader: str
    judge: JudgeConfig
    format: FormatConfig
    composite: CompositeConfig
    hyperparameters: Hyperparameters | None  # the Nova path's; None on the open-weight path
    start_training: bool
    data_kms_key: bool
    notification_emails: tuple[str, ...] = field(default_factory=tuple)
    model_deployment: ModelDeploymentConfig = field(default_factory=ModelDeploymentConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    # config/base_models.py: "nova" or "open-weight", and the open-weight API's hyperparameters (snake_case)
    training_path: str = "nova"
    open_weight_hyperparameters: Mapping[str, Any] | None = None

    @property
    def open_weight(self) -> bool:
        return self.training_path == "open-weight"

    # Every grader kind's settings (config keys of graders.catalog, defaults filled in), what the
    # Lambdas' environments are built from.
    grader_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    preflight: PreflightConfig = field(default_factory=PreflightConfig)
    # Reward-health alarm thresholds (stacks/constructs/reward_health.py), snake_case field -> value.
    reward_health: Mapping[str, int | float] = field(default_factory=dict)

    def grader_environment(self, kind: str, *, reward_only: bool = False) -> dict[str, str]:
        """The environment of a grader Lambda of this environment (the composite's includes its
        components'); ``reward_only`` keeps what changes rewards, for the job fingerprint."""
        from graders.catalog import environment

        return environment(
            kind, self.grader_settings, reward_only=reward_only, environment_name=None if reward_only else self.name
        )

    def grader_calls_judge(self, kind: str) -> bool:
        from graders.catalog import calls_judge

        return calls_judge(kind, self.grader_settings)

    def grader_runs(self, kind: str) -> tuple[str, ...]:
        """The kinds whose grading the ``kind`` function runs (the composite: its weighted components)."""
        from graders.catalog import runs

        return runs(kind, self.grader_settings)

    def grader_function_name(self, kind: str) -> str:
        return f"{self.project}-{self.name}-{kind}-grader"

    @property
    def stack_prefix(self) -> str:
        """``Rft`` + environment, e.g. stacks ``RftData-dev``, ``RftTraining-dev``."""
        return self.project.capitalize()

    def stack_name(self, part: str) -> str:
        return f"{self.stack_prefix}{part}-{self.name}"


@dataclass(frozen=True)
class DeliveryConfig:
    """Where the CDK Pipelines stack runs and what it rolls out, in order."""

    account: str
    region: str
    repository: str  # owner/name on GitHub
    branch: str
    connection_arn: str  # CodeConnections (CodeStar) connection to the repository
    stages: tuple[str, ...]
