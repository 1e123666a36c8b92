"""Load and validate ``config/environments.json`` into the typed configuration of ``config/model.py``.

The file holds ``defaults`` and per-environment overrides (deep-merged). Every problem is
reported at once, each naming the field and what is allowed, so a bad configuration fails
``cdk synth`` with a message instead of a half-built stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graders.catalog import CATALOG, COMPONENTS, Setting, composition_problems

from . import base_models
from .model import (  # noqa: F401
    CALLER_ACCOUNT,
    DEFAULT_CONFIG_FILE,
    GRADERS,
    JUDGE_RUBRICS,
    PRODUCTION_NAMES,
    REASONING_EFFORTS,
    REPO_ROOT,
    RFT_REGIONS,
    CompositeConfig,
    DatasetConfig,
    DeliveryConfig,
    EnvironmentConfig,
    EvaluationConfig,
    FormatConfig,
    Hyperparameters,
    InvocationLogs,
    JudgeConfig,
    ModelDeploymentConfig,
    PreflightConfig,
)

_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_S3_URI = re.compile(r"^s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](/.*)?$")
# A foundation-model id, a cross-region inference profile id, or either one's ARN.
_MODEL_ID = re.compile(
    r"^(arn:aws:bedrock:[a-z0-9-]*:\d{0,12}:(foundation-model|inference-profile)/)?"
    r"[a-z0-9-]+\.[A-Za-z0-9.:_-]+$"
)
_METADATA_FILTER_KEYS = {"equals", "notEquals", "andAll", "orAll"}


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid pipeline configuration:\n  - " + "\n  - ".join(problems))


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Reader:
    """Reads typed fields out of a raw mapping, collecting one message per problem."""

    def __init__(self, raw: Mapping[str, Any], path: str, problems: list[str]) -> None:
        self.raw, self.path, self.problems = raw, path, problems

    def fail(self, key: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{self.path}.{key}: {value!r} is not allowed: {allowed}")

    def child(self, key: str) -> _Reader:
        value = self.raw.get(key, {})
        if not isinstance(value, Mapping):
            self.fail(key, value, "must be an object")
            value = {}
        return _Reader(value, f"{self.path}.{key}", self.problems)

    def unknown(self, known: set[str]) -> None:
        for key in sorted(set(self.raw) - known):
            self.problems.append(f"{self.path}.{key}: unknown setting (known: {', '.join(sorted(known))})")

    def integer(self, key: str, low: int, high: int | None = None, default: int | None = None) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
            self.fail(key, value, f"an integer from {low} to {high}" if high else f"an integer >= {low}")
            return low
        return value

    def number(self, key: str, low: float, high: float, default: float | None = None) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.fail(key, value, f"a number from {low:g} to {high:g}")
            return low
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if value not in choices:
            self.fail(key, value, "one of " + ", ".join(choices))
            return choices[0]
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, value, "true or false")
            return default
        return value

    def text(
        self, key: str, pattern: re.Pattern[str] | None = None, allowed: str = "a string", optional: bool = False
    ) -> str | None:
        value = self.raw.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or (pattern and not pattern.match(value)):
            self.fail(key, value, allowed)
            return None
        return value


def _hyperparameters(r: _Reader) -> Hyperparameters:
    r.unknown(
        {
            "epochCount",
            "batchSize",
            "learningRate",
            "trainingSamplePerPrompt",
            "maxPromptLength",
            "inferenceMaxTokens",
            "reasoningEffort",
            "evalInterval",
        }
    )
    return Hyperparameters(
        epoch_count=r.integer("epochCount", 1, 50),
        batch_size=r.integer("batchSize", 16, 512),
        learning_rate=r.number("learningRate", 1e-7, 1e-3),
        training_sample_per_prompt=r.integer("trainingSamplePerPrompt", 2, 16),
        max_prompt_length=r.integer("maxPromptLength", 1),
        inference_max_tokens=r.integer("inferenceMaxTokens", 1),
        reasoning_effort=r.choice("reasoningEffort", REASONING_EFFORTS),
        eval_interval=r.integer("evalInterval", 1, 100),
    )


def _dataset(r: _Reader) -> DatasetConfig:
    r.unknown({"training", "validation", "invocationLogs"})
    logs = None
    if "invocationLogs" in r.raw:
        lr = r.child("invocationLogs")
        lr.unknown({"s3Uri", "usePromptResponse", "requestMetadataFilters", "manageLogging"})
        filters = lr.raw.get("requestMetadataFilters")
        if filters is not None and (
            not isinstance(filters, Mapping) or len(filters) != 1 or set(filters) - _METADATA_FILTER_KEYS
        ):
            lr.fail(
                "requestMetadataFilters",
                filters,
                "one of {equals: {k: v}}, {notEquals: {k: v}}, {andAll: [...]}, {orAll: [...]}",
            )
        logs = InvocationLogs(
            s3_uri=lr.text("s3Uri", _S3_URI, "an s3://bucket/prefix URI") or "",
            use_prompt_response=lr.boolean("usePromptResponse"),
            manage_logging=lr.boolean("manageLogging"),
            request_metadata_filters=filters,
        )
    training = r.text("training", optional=True)
    validation = r.text("validation", optional=True)
    if (training is None) == (logs is None):
        r.problems.append(f"{r.path}: set exactly one of 'training' (a JSONL file) or 'invocationLogs'")
    # Only datasets/*.jsonl is uploaded (to training/<file name>), so the file must live there.
    for key, rel in (("training", training), ("validation", validation)):
        if rel and (
            Path(rel).parent != Path("datasets") or not rel.endswith(".jsonl") or not (REPO_ROOT / rel).is_file()
        ):
            r.fail(key, rel, "an existing .jsonl file directly in datasets/ (e.g. datasets/my_prompts.jsonl)")
    if training and training == validation:
        r.fail("validation", validation, "a file other than the training file")
    return DatasetConfig(training=training, validation=validation, invocation_logs=logs)


def _composite(r: _Reader, values: dict[str, Any]) -> CompositeConfig:
    components = COMPONENTS
    weights = values["weights"]
    if (
        not isinstance(weights, Mapping)
        or not weights
        or set(weights) - set(components)
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in weights.values())
        or sum(weights.values()) <= 0
    ):
        r.fail("weights", weights, f"an object of non-negative numbers keyed by {', '.join(components)}, not all 0")
        weights = {"math": 1.0}
    defaults = values["defaultGraders"]
    if not isinstance(defaults, list) or not defaults or any(g not in components for g in defaults):
        r.fail("defaultGraders", defaults, f"a non-empty list drawn from {', '.join(components)}")
        defaults = ["math"]
    values["weights"], values["defaultGraders"] = {k: float(v) for k, v in weights.items()}, list(defaults)
    return CompositeConfig(weights=values["weights"], default_graders=tuple(defaults))


PREFLIGHT_SETTINGS = (
    Setting("enabled", "", "boolean", True, doc="rehearse the deployed grader before the job starts"),
    Setting("sampleRows", "", "integer", 32, low=1, high=500),
    Setting("judgeSampleRows", "", "integer", 4, low=1, high=32, doc="rows rehearsed when the judge is called"),
    Setting("minAuc", "", "number", 0.8, low=0.5, high=1),
    Setting("minGap", "", "number", 0.3, low=0, high=1),
    Setting("maxLowReferenceShare", "", "number", 0.2, low=0, high=1),
)
REWARD_HEALTH_SETTINGS = (
    Setting("periodMinutes", "", "integer", 15, low=1, high=60),
    Setting("evaluationPeriods", "", "integer", 2, low=1, high=24),
    Setting("maxMalformedShare", "", "number", 0.05, low=0, high=1),
    Setting("maxNoConstraintsShare", "", "number", 0.05, low=0, high=1),
    Setting("maxJudgeErrorShare", "", "number", 0.05, low=0, high=1),
    Setting("stuckMargin", "", "number", 0.01, low=0, high=0.2),
    Setting("minRewardSpread", "", "number", 0.05, low=0, high=1),
    Setting("maxDurationShareOfTimeout", "", "number", 0.8, low=0.1, high=1),
)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _grader_section(r: _Reader, kind: str) -> dict[str, Any]:
    """One grader's settings, checked against the catalogue: known keys, types, ranges; defaults filled."""
    return _section(r, CATALOG[kind].settings)


def _section(r: _Reader, declared: tuple[Setting, ...]) -> dict[str, Any]:
    """A section of declared settings: known keys, types, ranges; defaults filled."""
    r.unknown({s.key for s in declared})
    values: dict[str, Any] = {}
    for setting in declared:
        value = r.raw.get(setting.key, setting.default)
        problem = setting.problem(value)
        if problem:
            r.fail(setting.key, value, problem)
            value = setting.default
        values[setting.key] = value
    return values


def _environment(name: str, raw: Mapping[str, Any], project: str, problems: list[str]) -> EnvironmentConfig:
    r = _Reader(raw, f"environments.{name}", problems)
    r.unknown(
        {
            "account",
            "region",
            "baseModelId",
            "dataset",
            "grader",
            *CATALOG,
            "preflight",
            "rewardHealth",
            "hyperparameters",
            "startTraining",
            "dataKmsKey",
            "notifications",
            "modelDeployment",
            "evaluation",
        }
    )
    if not _ENV_NAME.match(name):
        # No "-": events are matched to an environment's jobs by the name prefix "<project>-<env>-".
        problems.append(f"environments.{name}: environment names are 1-20 lowercase letters or digits")
    account = r.raw.get("account")
    if account == CALLER_ACCOUNT and name in PRODUCTION_NAMES:
        r.fail("account", account, "production needs an explicit 12-digit account id")
    elif account != CALLER_ACCOUNT and not (isinstance(account, str) and _ACCOUNT.match(account)):
        r.fail("account", account, f"a 12-digit account id, or '{CALLER_ACCOUNT}' outside production")
    region = r.raw.get("region")
    base_model_id, path = _base_model_and_region(r)
    sections = {kind: _grader_section(r.child(kind), kind) for kind in CATALOG}
    judge_values = sections["judge"]
    if judge_values["rubric"] == "custom" and not judge_values["customRubric"]:
        problems.append(
            f"{r.path}.judge.customRubric: None is not allowed: the rubric text, required when rubric is 'custom'"
        )
    if judge_values["modelId"] and not _MODEL_ID.match(judge_values["modelId"]):
        problems.append(
            f"{r.path}.judge.modelId: {judge_values['modelId']!r} is not allowed: a Bedrock model id, "
            "inference profile id or ARN"
        )
    grader = r.raw.get("grader")
    for kind in CATALOG:  # e.g. a composite that runs code (isolated, no network) cannot also call the judge
        problems += [f"{r.path}.{kind}.{message}" for message in composition_problems(kind, sections)]
    if "invocationLogs" in r.raw.get("dataset", {}):
        composite_parts = r.raw.get("composite", {}).get("defaultGraders", [])
        needs_reference = grader == "math" or (grader == "composite" and "math" in composite_parts)
        if needs_reference:
            r.fail(
                "grader",
                grader,
                "not the math grader (alone or in the composite's defaultGraders) with "
                "invocationLogs: logged prompts carry no reference_answer, so every answer would score 0",
            )
        needs_constraints = grader == "format" or (grader == "composite" and "format" in composite_parts)
        if needs_constraints and not r.raw.get("format", {}).get("defaultConstraints"):
            r.fail(
                "grader",
                grader,
                "the format grader with invocationLogs only with format.defaultConstraints: "
                "logged prompts carry no constraints",
            )
    notifications = r.child("notifications")
    notifications.unknown({"emails"})
    emails = notifications.raw.get("emails", [])
    if not isinstance(emails, list) or any(not isinstance(e, str) or not _EMAIL.match(e) for e in emails):
        notifications.fail("emails", emails, "a list of e-mail addresses")
        emails = []
    deployment = r.child("modelDeployment")
    deployment.unknown({"enabled", "retainOnDelete"})
    deploy = deployment.boolean("enabled")
    dataset = _dataset(r.child("dataset"))
    nova_hyperparameters, open_weight_hyperparameters = _path_hyperparameters(r, path, base_model_id)
    if path == base_models.OPEN_WEIGHT:
        _check_open_weight_scope(r, dataset, deploy)
    return EnvironmentConfig(
        name=name,
        project=project,
        account=None if account == CALLER_ACCOUNT else account,
        region=region if isinstance(region, str) else "",
        base_model_id=base_model_id,
        dataset=dataset,
        grader=r.choice("grader", GRADERS),
        judge=JudgeConfig(
            model_id=judge_values["modelId"] or "",
            rubric=judge_values["rubric"],
            custom_rubric=judge_values["customRubric"],
            max_concurrency=judge_values["maxConcurrency"],
            injection_penalty=float(judge_values["injectionPenalty"]),
        ),
        format=FormatConfig(
            scoring=sections["format"]["scoring"],
            loose=sections["format"]["loose"],
            default_constraints=sections["format"]["defaultConstraints"],
        ),
        composite=_composite(r.child("composite"), sections["composite"]),
        grader_settings=sections,
        preflight=PreflightConfig(
            **{_snake(k): v for k, v in _section(r.child("preflight"), PREFLIGHT_SETTINGS).items()}
        ),
        reward_health={
            _snake(k): float(v) for k, v in _section(r.child("rewardHealth"), REWARD_HEALTH_SETTINGS).items()
        },
        hyperparameters=nova_hyperparameters,
        start_training=r.boolean("startTraining"),
        data_kms_key=r.boolean("dataKmsKey"),
        notification_emails=tuple(emails),
        model_deployment=ModelDeploymentConfig(enabled=deploy, retain_on_delete=deployment.boolean("retainOnDelete")),
        evaluation=_evaluation(r, dataset, deploy),
        training_path=path,
        open_weight_hyperparameters=open_weight_hyperparameters,
    )


# --- base model, training path and its hyperparameters (config/base_models.py) ---


def _path_of(base_model_id: Any) -> str | None:
    try:
        return base_models.training_path(base_model_id) if isinstance(base_model_id, str) else None
    except base_models.BaseModelError:
        return None


def _inherited_defaults(defaults: Any, override: Mapping[str, Any]) -> Mapping[str, Any]:
    """``defaults.hyperparameters`` are spelled for the path of ``defaults.baseModelId``: an environment whose
    baseModelId takes the other path does not inherit them (it starts from its own path's defaults)."""
    if not isinstance(defaults, Mapping) or "baseModelId" not in override:
        return defaults if isinstance(defaults, Mapping) else {}
    default_path, own_path = _path_of(defaults.get("baseModelId")), _path_of(override.get("baseModelId"))
    if default_path and own_path and default_path != own_path:
        return {k: v for k, v in defaults.items() if k != "hyperparameters"}
    return defaults


def _base_model_and_region(r: _Reader) -> tuple[str, str]:
    """The base model id, its training path, and the region guard of that path."""
    base_model_id = r.raw.get("baseModelId")
    try:
        path = base_models.training_path(base_model_id)
    except base_models.BaseModelError as exc:
        r.fail("baseModelId", base_model_id, str(exc).split(". ", 1)[-1])
        return (base_model_id if isinstance(base_model_id, str) else ""), base_models.NOVA
    region = r.raw.get("region")
    regions = base_models.PATH_REGIONS[path]
    if region not in regions:
        r.fail(
            "region",
            region,
            f"Bedrock reinforcement fine-tuning of baseModelId {base_model_id} takes "
            f"{base_models.PATH_LABEL[path]}, offered only in {', '.join(regions)}",
        )
    return base_model_id, path


def _path_hyperparameters(
    r: _Reader, path: str, base_model_id: str
) -> tuple[Hyperparameters | None, dict[str, Any] | None]:
    """``hyperparameters`` holds the path's API names: Nova camelCase, open-weight snake_case.
    ``null`` (or an empty object) on the open-weight path means that path's defaults."""
    raw = r.raw.get("hyperparameters")
    if path == base_models.OPEN_WEIGHT:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            r.fail("hyperparameters", raw, "an object of open-weight hyperparameters, or null for the defaults")
            return None, dict(base_models.OPEN_WEIGHT_DEFAULTS)
        try:
            values = base_models.validate_hyperparameters(base_model_id, raw)
        except base_models.BaseModelError as exc:
            r.problems.append(f"{r.path}.{exc}")
            values = {}
        return None, {**base_models.OPEN_WEIGHT_DEFAULTS, **values}
    hr = r.child("hyperparameters")
    foreign = {k: v for k, v in hr.raw.items() if k in base_models.OPEN_WEIGHT_HYPERPARAMETERS}
    if foreign:
        try:
            base_models.validate_hyperparameters(base_model_id, foreign)
        except base_models.BaseModelError as exc:
            r.problems.append(f"{r.path}.{exc}")
        hr = _Reader({k: v for k, v in hr.raw.items() if k not in foreign}, hr.path, hr.problems)
    return _hyperparameters(hr), None


def _check_open_weight_scope(r: _Reader, dataset: DatasetConfig, deploy: bool) -> None:
    """What the open-weight path does not offer: logged prompts as data, and the deployment step."""
    if dataset.invocation_logs is not None:
        r.fail(
            "dataset",
            "invocationLogs",
            "a training file on the open-weight path: the Files API uploads a "
            "JSONL file (invocation logs are a CreateModelCustomizationJob data source)",
        )
    if deploy:
        r.fail(
            "modelDeployment.enabled",
            True,
            "false on the open-weight path: the tuned model is invoked by its "
            "fine-tuned model id, there is no deployment step",
        )


# --- evaluation after training (lambda/evaluation, stacks/constructs/model_evaluation.py) ---


def _evaluation(r: _Reader, dataset: DatasetConfig, deploy: bool) -> EvaluationConfig:
    er = r.child("evaluation")
    er.unknown({"enabled", "dataset", "baseModelId", "maxConcurrency", "limit"})
    enabled = er.boolean("enabled")
    if enabled and not deploy:
        er.fail(
            "enabled",
            True,
            "false unless modelDeployment.enabled is true: the evaluation invokes the tuned "
            "model through its on-demand deployment",
        )
    rel = er.text("dataset", optional=True)
    if rel is not None and (
        Path(rel).parent != Path("datasets") or not rel.endswith(".jsonl") or not (REPO_ROOT / rel).is_file()
    ):
        er.fail("dataset", rel, "an existing .jsonl file directly in datasets/ (uploaded to training/ with the others)")
    rel = rel or dataset.validation or dataset.training
    if enabled and rel is None:
        er.fail(
            "dataset",
            None,
            "a JSONL file in datasets/: the training data are invocation logs and there is no "
            "validation file to default to",
        )
    base = er.raw.get("baseModelId", EvaluationConfig.base_model_id)
    if not isinstance(base, str) or not _MODEL_ID.match(base):
        er.fail(
            "baseModelId",
            base,
            "a Bedrock on-demand model id or inference profile id (or ARN) of the base "
            "model, e.g. us.amazon.nova-2-lite-v1:0 (the customization id is not invokable)",
        )
        base = EvaluationConfig.base_model_id
    limit = er.raw.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        er.fail("limit", limit, "an integer >= 1 (the first N rows), or null for every row")
        limit = None
    return EvaluationConfig(
        enabled=enabled,
        dataset=rel,
        base_model_id=base,
        max_concurrency=er.integer("maxConcurrency", 1, 1000, default=8),
        limit=limit,
    )


def parse_config(document: Mapping[str, Any]) -> dict[str, EnvironmentConfig]:
    """Validate a whole configuration document; raise :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    unknown = set(document) - {"$schema", "project", "defaults", "environments"}  # $schema: for editors
    problems += [f"{key}: unknown top-level setting" for key in sorted(unknown - {"delivery"})]
    project = document.get("project", "rft")
    if not isinstance(project, str) or not re.match(r"^[a-z][a-z0-9]{1,15}$", project):
        problems.append(f"project: {project!r} is not allowed: 2-16 lowercase letters or digits")
        project = "rft"
    defaults = document.get("defaults", {})
    environments = document.get("environments")
    if not isinstance(environments, Mapping) or not environments:
        problems.append("environments: at least one environment is required")
        environments = {}
    configs = {}
    for name, override in environments.items():
        if not isinstance(override, Mapping):
            problems.append(f"environments.{name}: must be an object")
            continue
        configs[name] = _environment(
            name, _deep_merge(_inherited_defaults(defaults, override), override), project, problems
        )
    if problems:
        raise ConfigError(problems)
    return configs


def load_document(path: Path | str = DEFAULT_CONFIG_FILE) -> dict[str, Any]:
    """The raw configuration document of a JSON file (not yet validated)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"{path}: configuration file not found"]) from None
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{path}: not valid JSON: {exc}"]) from None
    if not isinstance(document, Mapping):
        raise ConfigError([f"{path}: the configuration must be a JSON object"])
    return document


def load_config(path: Path | str = DEFAULT_CONFIG_FILE) -> dict[str, EnvironmentConfig]:
    return parse_config(load_document(path))


def select_environment(configs: Mapping[str, EnvironmentConfig], name: str) -> EnvironmentConfig:
    if name not in configs:
        raise ConfigError([f"env: {name!r} is not a configured environment (have: {', '.join(configs)})"])
    return configs[name]


_CONNECTION_ARN = re.compile(r"^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[\w-]+$")
_REPOSITORY = re.compile(r"^[\w.-]+/[\w.-]+$")


def parse_delivery(document: Mapping[str, Any], environments: Mapping[str, EnvironmentConfig]) -> DeliveryConfig | None:
    """The ``delivery`` section (the cross-account pipeline), or None when there is none."""
    raw = document.get("delivery")
    if raw is None:
        return None
    problems: list[str] = []
    r = _Reader(raw if isinstance(raw, Mapping) else {}, "delivery", problems)
    r.unknown({"account", "region", "repository", "branch", "connectionArn", "stages"})
    stages = r.raw.get("stages")
    if not isinstance(stages, list) or not stages or any(s not in environments for s in stages):
        r.fail("stages", stages, "a non-empty list of configured environments, in rollout order")
        stages = []
    for stage in stages:
        if environments[stage].account is None:
            problems.append(
                f"delivery.stages: environment {stage!r} uses the caller's account; a pipeline stage "
                "needs an explicit 12-digit account"
            )
    delivery = DeliveryConfig(
        account=r.text("account", _ACCOUNT, "a 12-digit account id") or "",
        region=r.choice("region", RFT_REGIONS),
        repository=r.text("repository", _REPOSITORY, "owner/name of the GitHub repository") or "",
        branch=r.text("branch", re.compile(r"^[\w./-]+$"), "a branch name") or "",
        connection_arn=r.text("connectionArn", _CONNECTION_ARN, "a CodeConnections connection ARN") or "",
        stages=tuple(stages),
    )
    if problems:
        raise ConfigError(problems)
    return delivery
